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
import { CodedError } from "./domain/errors.js";
import { Secret, redactUrlCredentials } from "./secret.js";

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
}

/** Settings of the submit and poll workers. */
export interface WorkerConfig {
  /** `WORKER_CONCURRENCY`: jobs in flight per worker process, 1–1000; default 20. */
  readonly concurrency: number;
  /** `SUBMIT_MAX_ATTEMPTS`: attempts of a refund submission before `dead`, 1–100; default 8. */
  readonly submitMaxAttempts: number;
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
  /** `API_TOKEN`: bearer token for `POST /refunds` and `/admin/queues`; at least 16 characters. */
  readonly apiToken: Secret | undefined;
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
    description: "Bearer token for POST /refunds and /admin/queues (at least 16 characters)",
    secret: true,
  },
  {
    name: "LOG_LEVEL",
    default: "info",
    description: "fatal, error, warn, info, debug, trace or silent",
    secret: false,
  },
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
const URL_VARS: ReadonlySet<string> = new Set(["REDIS_URL", "GATEPAY_BASE_URL"]);

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

// DESIGN.md "Scale": every key one Lua script or MULTI touches must hash to one Redis
// Cluster slot, so a deployment's prefix carries a hash tag: BullMQ's documented way.
const queuePrefix = z
  .string()
  .max(100, { error: "must be at most 100 characters" })
  .regex(/^[A-Za-z0-9_{}-]+$/, { error: "may contain only letters, digits, -, _, { and }" })
  .refine((s) => !/[{}]/.test(s) || /^[\w-]*\{[\w-]+\}[\w-]*$/.test(s), {
    error: "must have no braces, or exactly one {…} hash tag with something inside",
  })
  .transform((s) => (s.includes("{") ? s : `{${s}}`));

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
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  QUEUE_SHARDS: integer(1, 256),
  GATEPAY_BASE_URL: baseUrl,
  GATEPAY_CLIENT_ID: headerToken.optional(),
  GATEPAY_SECRET_KEY: secret(1).optional(),
  GATEPAY_ON_BEHALF_OF: headerToken.optional(),
  GATEPAY_TIMEOUT_MS: integer(1, 600_000),
  GATEPAY_MAX_RPS: positiveNumber.optional(),
  WORKER_CONCURRENCY: integer(1, 1000),
  SUBMIT_MAX_ATTEMPTS: integer(1, 100),
  POLL_FIRST_DELAY_MS: integer(1, 86_400_000),
  POLL_MAX_DELAY_MS: integer(1, 86_400_000),
  POLL_DEADLINE_MS: integer(1, 30 * 86_400_000),
  HTTP_PORT: integer(0, 65_535),
  API_TOKEN: secret(16).optional(),
  LOG_LEVEL: logLevel,
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
 * {@link CONFIG_ENV_VARS}. Poll delays must satisfy first ≤ max ≤ deadline.
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
  const ms = (name: "POLL_FIRST_DELAY_MS" | "POLL_MAX_DELAY_MS" | "POLL_DEADLINE_MS") =>
    envSchema.shape[name].safeParse(raw[name]).data;
  const pollPairs = [
    ["POLL_FIRST_DELAY_MS", "POLL_MAX_DELAY_MS"],
    ["POLL_MAX_DELAY_MS", "POLL_DEADLINE_MS"],
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

  if (problems.length > 0 || !parsed.success) {
    const order = CONFIG_ENV_VARS.map((v) => v.name as string);
    const first = (p: ConfigProblem) => order.indexOf(p.variables[0] ?? "");
    throw new ConfigError(problems.sort((a, b) => first(a) - first(b)));
  }

  const e = parsed.data;
  return Object.freeze({
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
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
    }),
    worker: Object.freeze({
      concurrency: e.WORKER_CONCURRENCY,
      submitMaxAttempts: e.SUBMIT_MAX_ATTEMPTS,
    }),
    poll: Object.freeze({
      firstDelayMs: e.POLL_FIRST_DELAY_MS,
      maxDelayMs: e.POLL_MAX_DELAY_MS,
      deadlineMs: e.POLL_DEADLINE_MS,
    }),
    http: Object.freeze({
      port: e.HTTP_PORT,
      apiToken: e.API_TOKEN,
    }),
    logLevel: e.LOG_LEVEL,
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
