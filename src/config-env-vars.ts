/**
 * Every environment variable the configuration reads, once: name, default and meaning.
 * The README's configuration table is checked against this list (test/unit/readme.test.ts);
 * src/config.ts validates the values.
 */
import { TRACING_ENV_VARS } from "./config-tracing.js";

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
