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
import { DURABILITY_MODES } from "./domain/durability.js";
import { CodedError } from "./domain/errors.js";
import { normalizeQueuePrefix, queuePrefixProblem } from "./domain/queue-prefix.js";
import { secretValueProblems } from "./config-secret-rules.js";
import { Secret, redactUrlCredentials } from "./secret.js";
import { TRACING_ENV_SCHEMA, tracingFromEnv } from "./config-tracing.js";
import { CONFIG_ENV_VARS, type ConfigEnvVarName } from "./config-env-vars.js";
import { LOG_LEVELS, type Config, type ConfigRequirement } from "./config-types.js";

export type { TracingConfig } from "./config-tracing.js";
export * from "./config-types.js";
export * from "./config-env-vars.js";

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
