/**
 * Configuration from the environment: the only module that reads `process.env`.
 *
 * Every variable is listed once in {@link CONFIG_ENV_VARS} (name, default, meaning); the
 * README's configuration table is generated and checked from it. {@link loadConfig}
 * validates them all with zod, reports every problem at once in a {@link ConfigError},
 * and returns a deep-frozen {@link Config}. Secrets come back wrapped in {@link Secret}
 * so the config object can be logged or serialized without leaking them.
 */
import { z } from "zod";
import { DURABILITY_MODES, type DurabilityMode } from "./domain/durability.js";
import { CodedError } from "./domain/errors.js";
import { normalizeQueuePrefix, queuePrefixProblem } from "./domain/queue-prefix.js";
import { secretValueProblems } from "./config-secret-rules.js";
import { Secret, redactUrlCredentials } from "./secret.js";
import {
  TRACING_ENV_SCHEMA,
  TRACING_ENV_VARS,
  tracingFromEnv,
  type TracingConfig,
} from "./config-tracing.js";

export type { TracingConfig } from "./config-tracing.js";

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

/** One environment variable: its name, its default (`undefined` = unset) and meaning. */
export interface ConfigEnvVar {
  readonly name: string;
  readonly default: string | undefined;
  readonly description: string;
  /** True when the value is a secret: never echoed in errors, wrapped in {@link Secret}. */
  readonly secret: boolean;
}

/**
 * Every variable {@link loadConfig} reads, in README order. Defaults are strings, parsed
 * by the same rules as a value from the environment.
 */
export const CONFIG_ENV_VARS = [
  {
    name: "REDIS_URL",
    default: "redis://127.0.0.1:6379",
    description: "Redis connection URL (redis:// or rediss://)",
    secret: false,
  },
  {
    name: "QUEUE_PREFIX",
    default: "gatepay",
    description:
      "Key prefix of queues, records and streams; letters, digits, -, _; wrapped in {…} (one Redis Cluster slot) unless it has a hash tag",
    secret: false,
  },
  {
    name: "REDIS_DURABILITY",
    default: "auto",
    description:
      "What must hold a write before a refund is sent or an enqueue acknowledged: auto (a replica and/or the AOF, whatever the server has; else none, with a warning), replica (WAIT 1), aof (WAITAOF 1 0), replica+aof (WAITAOF 1 1), none",
    secret: false,
  },
  {
    name: "REDIS_DURABILITY_TIMEOUT_MS",
    default: "1000",
    description:
      "Longest wait of one durability barrier, ms; on timeout nothing is sent (the submit is deferred) and an enqueue answers 503",
    secret: false,
  },
  {
    name: "REDIS_CLUSTER_NODES",
    default: undefined,
    description:
      "Redis Cluster seed nodes, host:port comma-separated; when set, connections use Redis Cluster and REDIS_URL gives only credentials and TLS",
    secret: false,
  },
  {
    name: "QUEUE_SHARDS",
    default: "1",
    description:
      "Shards refunds are spread over by order (1–256), each its own hash tag; stored on first use, a process with another count refuses to start",
    secret: false,
  },
  {
    name: "GATEPAY_BASE_URL",
    default: "https://openplatform.gateapi.io",
    description: "GatePay API base URL (http or https)",
    secret: false,
  },
  {
    name: "GATEPAY_CLIENT_ID",
    default: undefined,
    description: "GatePay ClientId (X-GatePay-Certificate-ClientId); required by the worker",
    secret: false,
  },
  {
    name: "GATEPAY_SECRET_KEY",
    default: undefined,
    description:
      "GatePay Payment API Secret that signs requests and webhooks; required by the worker",
    secret: true,
  },
  {
    name: "GATEPAY_ON_BEHALF_OF",
    default: undefined,
    description: "Institution mode: default sub-account for X-GatePay-On-Behalf-Of",
    secret: false,
  },
  {
    name: "GATEPAY_TIMEOUT_MS",
    default: "10000",
    description: "Timeout of one GatePay HTTP request, in milliseconds (1–600000)",
    secret: false,
  },
  {
    name: "GATEPAY_MAX_RPS",
    default: undefined,
    description: "Cap on GatePay requests per second across all workers; unset = no cap",
    secret: false,
  },
  {
    name: "GATEPAY_HTTP_CLIENT",
    default: "undici",
    description:
      "HTTP transport of the GatePay client: undici (request on a keep-alive pool, the fastest) or ky (ky 1.x over fetch, for its hooks)",
    secret: false,
  },
  {
    name: "GATEPAY_LOOKUP_GRACE_MS",
    default: "10000",
    description:
      'After an unknown outcome, how long GatePay\'s "not found" is not yet proof, in ms (0–600000): the first lookup waits this long after the answer (or after send + timeout when none came), and a re-send needs a second "not found" this long after the first',
    secret: false,
  },
  {
    name: "WORKER_CONCURRENCY",
    default: "20",
    description: "Jobs processed at once per worker process (1–1000)",
    secret: false,
  },
  {
    name: "SUBMIT_MAX_ATTEMPTS",
    default: "8",
    description: "Attempts of one refund submission before it is dead (1–100)",
    secret: false,
  },
  {
    name: "WORKER_LOCK_DURATION_MS",
    default: "10000",
    description:
      'BullMQ job lock, in milliseconds (1000–600000); a dead worker\'s jobs run again within lock + stalled interval (README "Recovery after a crash")',
    secret: false,
  },
  {
    name: "WORKER_STALLED_INTERVAL_MS",
    default: "2000",
    description:
      "How often workers look for jobs of dead workers, in milliseconds (500–600000, at most WORKER_LOCK_DURATION_MS)",
    secret: false,
  },
  {
    name: "POLL_FIRST_DELAY_MS",
    default: "10000",
    description:
      "Delay from acceptance to the first status poll, in milliseconds (GatePay's 10 s rule)",
    secret: false,
  },
  {
    name: "POLL_MAX_DELAY_MS",
    default: "300000",
    description: "Longest delay between status polls, in milliseconds",
    secret: false,
  },
  {
    name: "POLL_DEADLINE_MS",
    default: "86400000",
    description: "Time from acceptance after which an unfinished refund is stuck, in milliseconds",
    secret: false,
  },
  {
    name: "HTTP_PORT",
    default: "8080",
    description: "Port of the HTTP server (0–65535; 0 = any free port)",
    secret: false,
  },
  {
    name: "API_TOKEN",
    default: undefined,
    description:
      "Bearer token for the refund API and the read-only dashboard (at least 16 characters)",
    secret: true,
  },
  {
    name: "ADMIN_TOKEN",
    default: undefined,
    description:
      "Bearer token for write actions: the dashboard's (retry, clean, pause…) and the console's replay; unset = read-only; at least 16 characters, must differ from API_TOKEN",
    secret: true,
  },
  {
    name: "METRICS_TOKEN",
    default: undefined,
    description: "Bearer token for GET /metrics (at least 16 characters); unset = open",
    secret: true,
  },
  {
    name: "SHUTDOWN_TIMEOUT_MS",
    default: "20000",
    description:
      "Longest SIGTERM/SIGINT waits for the drain, in milliseconds, before the worker exits anyway",
    secret: false,
  },
  {
    name: "LOG_LEVEL",
    default: "info",
    description: "fatal, error, warn, info, debug, trace or silent",
    secret: false,
  },
  ...TRACING_ENV_VARS,
] as const satisfies readonly ConfigEnvVar[];

/** Name of a variable in {@link CONFIG_ENV_VARS}. */
export type ConfigEnvVarName = (typeof CONFIG_ENV_VARS)[number]["name"];

/** One thing wrong with the environment. */
export interface ConfigProblem {
  /** The variables involved (two for a cross-field rule). */
  readonly variables: readonly ConfigEnvVarName[];
  /** `VARIABLE: reason (got "value")`, or `(value hidden)` for a secret. */
  readonly message: string;
}

/** The environment is invalid; `message` has one line per problem. Code `CONFIG_INVALID`. */
export class ConfigError extends CodedError {
  override readonly name = "ConfigError";
  override readonly code = "CONFIG_INVALID";
  /** Every problem found, in {@link CONFIG_ENV_VARS} order. */
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => p.message).join("\n"));
    this.problems = problems;
  }
}

const MAX_ECHO_CHARS = 80;
const SECRET_VARS: ReadonlySet<string> = new Set(
  CONFIG_ENV_VARS.filter((v) => v.secret).map((v) => v.name),
);
const URL_VARS: ReadonlySet<string> = new Set([
  "REDIS_URL",
  "GATEPAY_BASE_URL",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
]);

/** An integer in `[min, max]`, written as plain digits. */
function integer(min: number, max: number) {
  const reason = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,16}$/, { error: reason })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: reason }).max(max, { error: reason }));
}

/** A printable-ASCII identifier without spaces: it travels in an HTTP header. */
const headerToken = z
  .string()
  .regex(/^[\x21-\x7e]{1,256}$/, { error: "must be 1–256 printable ASCII characters, no spaces" });

const redisUrl = z.string().refine(
  (s) => {
    const url = URL.canParse(s) ? new URL(s) : undefined;
    return url !== undefined && (url.protocol === "redis:" || url.protocol === "rediss:");
  },
  { error: "must be a redis:// or rediss:// URL" },
);

const clusterNodes = z
  .string()
  .transform((s) => s.split(",").map((part) => part.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9.-]{1,253}:\d{1,5}$/, {
            error: "each node must be host:port (host letters, digits, '.', '-')",
          })
          .transform((part) => {
            const at = part.lastIndexOf(":");
            return { host: part.slice(0, at), port: Number(part.slice(at + 1)) };
          })
          .refine((node) => node.port >= 1 && node.port <= 65_535, {
            error: "each node's port must be 1–65535",
          }),
      )
      .max(64, { error: "must list at most 64 nodes" }),
  );

const baseUrl = z
  .string()
  .refine(
    (s) => {
      const url = URL.canParse(s) ? new URL(s) : undefined;
      return (
        url !== undefined &&
        (url.protocol === "https:" || url.protocol === "http:") &&
        url.hostname !== "" &&
        url.search === "" &&
        url.hash === "" &&
        url.username === "" &&
        url.password === ""
      );
    },
    { error: "must be an http:// or https:// URL without credentials, query or fragment" },
  )
  // Endpoint paths start with "/" (gatepay-api.md §1: "all paths are appended to it").
  .transform((s) => s.replace(/\/+$/, ""));

// One rule for every entry point (src/domain/queue-prefix.ts): `gatepay` becomes `{gatepay}`.
const queuePrefix = z
  .string()
  .superRefine((s, ctx) => {
    const problem = queuePrefixProblem(s);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((s) => normalizeQueuePrefix(s));

const positiveNumber = z
  .string()
  .regex(/^\d{1,9}(\.\d{1,6})?$/, { error: "must be a positive number" })
  .transform(Number)
  .refine((n) => n > 0, { error: "must be a positive number" });

const logLevel = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }));

const secret = (minLength: number) =>
  z
    .string()
    .min(minLength, { error: `must be at least ${minLength} characters` })
    .transform((s) => new Secret(s));

const envSchema = z.object({
  REDIS_URL: redisUrl,
  QUEUE_PREFIX: queuePrefix,
  REDIS_DURABILITY: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(DURABILITY_MODES, { error: `must be one of ${DURABILITY_MODES.join(", ")}` })),
  REDIS_DURABILITY_TIMEOUT_MS: integer(1, 600_000),
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  QUEUE_SHARDS: integer(1, 256),
  GATEPAY_BASE_URL: baseUrl,
  GATEPAY_CLIENT_ID: headerToken.optional(),
  GATEPAY_SECRET_KEY: secret(1).optional(),
  GATEPAY_ON_BEHALF_OF: headerToken.optional(),
  GATEPAY_TIMEOUT_MS: integer(1, 600_000),
  GATEPAY_MAX_RPS: positiveNumber.optional(),
  GATEPAY_HTTP_CLIENT: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(["undici", "ky"], { error: "must be undici or ky" })),
  GATEPAY_LOOKUP_GRACE_MS: integer(0, 600_000),
  WORKER_CONCURRENCY: integer(1, 1000),
  SUBMIT_MAX_ATTEMPTS: integer(1, 100),
  WORKER_LOCK_DURATION_MS: integer(1_000, 600_000),
  WORKER_STALLED_INTERVAL_MS: integer(500, 600_000),
  POLL_FIRST_DELAY_MS: integer(1, 86_400_000),
  POLL_MAX_DELAY_MS: integer(1, 86_400_000),
  POLL_DEADLINE_MS: integer(1, 30 * 86_400_000),
  HTTP_PORT: integer(0, 65_535),
  API_TOKEN: secret(16).optional(),
  ADMIN_TOKEN: secret(16).optional(),
  METRICS_TOKEN: secret(16).optional(),
  SHUTDOWN_TIMEOUT_MS: integer(1, 3_600_000),
  LOG_LEVEL: logLevel,
  ...TRACING_ENV_SCHEMA,
} satisfies Record<ConfigEnvVarName, z.ZodType>);

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * Variable groups that must be set: `"gatepay"` requires `GATEPAY_CLIENT_ID` and
   * `GATEPAY_SECRET_KEY` (the worker); `"apiToken"` requires `API_TOKEN` (the HTTP API).
   * Default: none.
   */
  readonly require?: readonly ConfigRequirement[];
}

const REQUIRED_VARS: Record<ConfigRequirement, readonly ConfigEnvVarName[]> = {
  gatepay: ["GATEPAY_CLIENT_ID", "GATEPAY_SECRET_KEY"],
  apiToken: ["API_TOKEN"],
};

/**
 * Reads and validates the environment.
 *
 * An empty string counts as unset, and unset variables take their default from
 * {@link CONFIG_ENV_VARS}. Poll delays must satisfy first ≤ max ≤ deadline, and the
 * stalled-job interval must not exceed the lock duration.
 *
 * @param env the environment; default `process.env`.
 * @returns a deep-frozen {@link Config}.
 * @throws ConfigError listing every problem, one line each; values of secret variables
 *   are never echoed.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  opts: LoadConfigOptions = {},
): Config {
  const raw: Partial<Record<ConfigEnvVarName, string>> = {};
  for (const v of CONFIG_ENV_VARS) {
    const value = env[v.name];
    const chosen = value === undefined || value === "" ? v.default : value;
    if (chosen !== undefined) raw[v.name] = chosen;
  }

  const problems: ConfigProblem[] = [];
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]) as ConfigEnvVarName;
      problems.push(problem([name], `${name}: ${issue.message} ${echo(name, raw[name])}`));
    }
  }

  for (const group of opts.require ?? []) {
    for (const name of REQUIRED_VARS[group]) {
      if (raw[name] === undefined) problems.push(problem([name], `${name}: is required`));
    }
  }

  // The first poll cannot wait longer than any later one, and no poll may be scheduled
  // after the deadline (src/worker/poll-schedule.ts relies on both). Checked on each
  // pair that parsed, so these show up alongside unrelated problems.
  const ms = (
    name:
      | "POLL_FIRST_DELAY_MS"
      | "POLL_MAX_DELAY_MS"
      | "POLL_DEADLINE_MS"
      | "WORKER_LOCK_DURATION_MS"
      | "WORKER_STALLED_INTERVAL_MS",
  ) => envSchema.shape[name].safeParse(raw[name]).data;
  const pollPairs = [
    ["POLL_FIRST_DELAY_MS", "POLL_MAX_DELAY_MS"],
    ["POLL_MAX_DELAY_MS", "POLL_DEADLINE_MS"],
    // A stalled check rarer than the lock would set the recovery time instead of the lock.
    ["WORKER_STALLED_INTERVAL_MS", "WORKER_LOCK_DURATION_MS"],
  ] as const;
  for (const [lower, upper] of pollPairs) {
    const low = ms(lower);
    const high = ms(upper);
    if (low !== undefined && high !== undefined && low > high) {
      problems.push(
        problem(
          [lower, upper],
          `${lower}, ${upper}: ${lower} (${low}) must not exceed ${upper} (${high})`,
        ),
      );
    }
  }

  // Placeholders, and a read token that could also act (config-secret-rules.ts).
  for (const p of secretValueProblems(raw)) {
    problems.push(problem(p.variables as ConfigEnvVarName[], p.message));
  }

  if (problems.length > 0 || !parsed.success) {
    const order = CONFIG_ENV_VARS.map((v) => v.name as string);
    const first = (p: ConfigProblem) => order.indexOf(p.variables[0] ?? "");
    throw new ConfigError(problems.sort((a, b) => first(a) - first(b)));
  }

  const e = parsed.data;
  return Object.freeze({
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    durability: Object.freeze({
      mode: e.REDIS_DURABILITY,
      timeoutMs: e.REDIS_DURABILITY_TIMEOUT_MS,
    }),
    redisClusterNodes:
      e.REDIS_CLUSTER_NODES === undefined
        ? undefined
        : Object.freeze(e.REDIS_CLUSTER_NODES.map((node) => Object.freeze(node))),
    queueShards: e.QUEUE_SHARDS,
    gatepay: Object.freeze({
      baseUrl: e.GATEPAY_BASE_URL,
      clientId: e.GATEPAY_CLIENT_ID,
      secretKey: e.GATEPAY_SECRET_KEY,
      onBehalfOf: e.GATEPAY_ON_BEHALF_OF,
      timeoutMs: e.GATEPAY_TIMEOUT_MS,
      maxRps: e.GATEPAY_MAX_RPS,
      httpClient: e.GATEPAY_HTTP_CLIENT,
      lookupGraceMs: e.GATEPAY_LOOKUP_GRACE_MS,
    }),
    worker: Object.freeze({
      concurrency: e.WORKER_CONCURRENCY,
      submitMaxAttempts: e.SUBMIT_MAX_ATTEMPTS,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    }),
    poll: Object.freeze({
      firstDelayMs: e.POLL_FIRST_DELAY_MS,
      maxDelayMs: e.POLL_MAX_DELAY_MS,
      deadlineMs: e.POLL_DEADLINE_MS,
    }),
    http: Object.freeze({
      port: e.HTTP_PORT,
      apiToken: e.API_TOKEN,
      adminToken: e.ADMIN_TOKEN,
      metricsToken: e.METRICS_TOKEN,
    }),
    logLevel: e.LOG_LEVEL,
    tracing: tracingFromEnv(e),
  });
}

function problem(variables: ConfigEnvVarName[], message: string): ConfigProblem {
  return { variables, message };
}

/** `(got "…")` for an error line; secrets and URL credentials are never echoed. */
function echo(name: string, value: string | undefined): string {
  if (value === undefined) return "(unset)";
  if (SECRET_VARS.has(name)) return "(value hidden)";
  const shown = URL_VARS.has(name) ? redactUrlCredentials(value) : value;
  return `(got ${JSON.stringify(shown.length > MAX_ECHO_CHARS ? `${shown.slice(0, MAX_ECHO_CHARS)}…` : shown)})`;
}
