/**
 * The shape of the validated configuration (src/config.ts builds it): one interface per
 * part, deep-frozen at run time. Split from config.ts so the loader stays readable.
 */
import type { DurabilityMode } from "./domain/durability.js";
import type { Secret } from "./secret.js";
import type { TracingConfig } from "./config-tracing.js";

/** Log levels accepted by `LOG_LEVEL` (pino's, plus `silent`). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Groups of variables a caller can demand with `loadConfig(env, { require })`. */
export type ConfigRequirement = "gatepay" | "apiToken";

/** Settings of the GatePay client. */
export interface GatePayConfig {
  /** `GATEPAY_BASE_URL` without trailing slashes; default `https://openplatform.gateapi.io`. */
  readonly baseUrl: string;
  /** `GATEPAY_CLIENT_ID`; unset unless required with `require: ["gatepay"]`. */
  readonly clientId: string | undefined;
  /** `GATEPAY_SECRET_KEY`, the Payment API Secret (gatepay-api.md §2.1). */
  readonly secretKey: Secret | undefined;
  /** `GATEPAY_ON_BEHALF_OF`: institution mode's default sub-account when set (§2.2). */
  readonly onBehalfOf: string | undefined;
  /** `GATEPAY_TIMEOUT_MS`: per HTTP request, in milliseconds; default 10000. */
  readonly timeoutMs: number;
  /** `GATEPAY_MAX_RPS`: requests per second across all workers; `undefined` = no cap. */
  readonly maxRps: number | undefined;
  /** `GATEPAY_HTTP_CLIENT`: the client's transport, `undici` (default) or `ky`. */
  readonly httpClient: "undici" | "ky";
  /**
   * `GATEPAY_LOOKUP_GRACE_MS`: after an unknown outcome, how long a "not found" is not
   * yet proof, in milliseconds; default 10000 (GatePay: query when no notification came
   * within 10 s, gatepay-api.md §6.1).
   */
  readonly lookupGraceMs: number;
}

/** Settings of the submit and poll workers. */
export interface WorkerConfig {
  /** `WORKER_CONCURRENCY`: jobs in flight per worker process, 1–1000; default 20. */
  readonly concurrency: number;
  /** `SUBMIT_MAX_ATTEMPTS`: attempts of a refund submission before `dead`, 1–100; default 8. */
  readonly submitMaxAttempts: number;
  /**
   * `WORKER_LOCK_DURATION_MS`: BullMQ's job lock, 1000–600000; default 10000. With the
   * stalled interval it sets the recovery time after a crash (src/worker/recovery-time.ts).
   */
  readonly lockDurationMs: number;
  /**
   * `WORKER_STALLED_INTERVAL_MS`: BullMQ's stalled-job check interval, 500–600000, at most
   * the lock duration; default 2000.
   */
  readonly stalledIntervalMs: number;
  /** `SHUTDOWN_TIMEOUT_MS`: longest a stop signal waits for the drain before exiting; default 20000. */
  readonly shutdownTimeoutMs: number;
}

/** The refund status poll schedule, in milliseconds. */
export interface PollConfig {
  /** `POLL_FIRST_DELAY_MS`: acceptance to first poll; default 10000 (gatepay-api.md §6.1). */
  readonly firstDelayMs: number;
  /** `POLL_MAX_DELAY_MS`: cap on the delay between polls; default 300000 (5 min). */
  readonly maxDelayMs: number;
  /** `POLL_DEADLINE_MS`: acceptance to `stuck`; default 86400000 (24 h). */
  readonly deadlineMs: number;
}

/** Settings of the HTTP server. */
export interface HttpConfig {
  /** `HTTP_PORT`, 0–65535 (0 = any free port); default 8080. */
  readonly port: number;
  /** `API_TOKEN`: bearer token for the refund API and the read-only dashboard; ≥ 16 characters. */
  readonly apiToken: Secret | undefined;
  /**
   * `ADMIN_TOKEN`: the token of write actions (the console's replay, the dashboard's
   * retry/clean/pause); at least 16 characters and never equal to `API_TOKEN`, so a
   * reader's token cannot act. Unset: no write actions (read-only).
   */
  readonly adminToken: Secret | undefined;
  /** `METRICS_TOKEN`: bearer token for `GET /metrics`; unset = open. */
  readonly metricsToken: Secret | undefined;
}

/** What must hold a Redis write before money moves on it (README "Durability"). */
export interface DurabilityConfig {
  /** `REDIS_DURABILITY`; default `auto`. */
  readonly mode: DurabilityMode;
  /** `REDIS_DURABILITY_TIMEOUT_MS`: longest wait of one barrier; default 1,000. */
  readonly timeoutMs: number;
}

/** One `host:port` of `REDIS_CLUSTER_NODES`. */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** The validated, deep-frozen configuration. */
export interface Config {
  /** `REDIS_URL` (`redis://` or `rediss://`); default `redis://127.0.0.1:6379`. */
  readonly redisUrl: string;
  /**
   * `QUEUE_PREFIX` with a Redis Cluster hash tag: `gatepay` becomes `{gatepay}`; a value
   * that already has a `{…}` tag is kept as is. Default `{gatepay}`.
   */
  readonly queuePrefix: string;
  readonly durability: DurabilityConfig;
  /**
   * `REDIS_CLUSTER_NODES`: seed nodes of a Redis Cluster (`host:port`, comma-separated);
   * when set every connection is a cluster connection and `REDIS_URL` only lends its
   * credentials and TLS (README "Scaling out"). Unset by default.
   */
  readonly redisClusterNodes: readonly RedisNodeAddress[] | undefined;
  /** `QUEUE_SHARDS`, 1–256: shards refunds are spread over by order; default 1. */
  readonly queueShards: number;
  readonly gatepay: GatePayConfig;
  readonly worker: WorkerConfig;
  readonly poll: PollConfig;
  readonly http: HttpConfig;
  /** `LOG_LEVEL`, case-insensitive; default `info`. */
  readonly logLevel: LogLevel;
  /** The standard `OTEL_*` variables (src/config-tracing.ts); off unless configured. */
  readonly tracing: TracingConfig;
}
