/**
 * The root pino logger. One root per process; units of work use
 * `log.child({ refundRequestId, jobId, attempt })`, object first, message second.
 *
 * Secrets are removed by path before a line is written, whatever object they sit in,
 * up to two levels below the logged object: the GatePay secret, the request signature
 * (gatepay-api.md §3), API tokens, passwords and authorization headers. A
 * {@link Secret} serializes as `"[redacted]"` at any depth. A Redis URL keeps its host
 * but loses its credentials.
 */
import { pino } from "pino";
import { redactUrlCredentials } from "./secret.js";

/** The logger type used across the project. */
export type Logger = pino.Logger;

/** What secret-bearing keys are replaced with. */
export const REDACTED = "[redacted]";

const SECRET_KEYS = [
  "secretKey",
  "secret",
  "signature",
  "apiToken",
  "token",
  "password",
  "authorization",
  "Authorization",
  '["x-gatepay-signature"]',
  '["X-GatePay-Signature"]',
  "headers.authorization",
  "headers.Authorization",
  'headers["x-gatepay-signature"]',
  'headers["X-GatePay-Signature"]',
  "headers.cookie",
  'headers["set-cookie"]',
] as const;

/** Keys whose value is a URL that may carry credentials; only the credentials go. */
const URL_KEYS = ["redisUrl"] as const;

const atDepths = (key: string): string[] => {
  const dotted = key.startsWith("[") ? key : `.${key}`;
  return [key, `*${dotted}`, `*.*${dotted}`];
};

/**
 * Every path pino redacts: each secret key at the top level of a log object and one
 * and two levels below it (`secretKey`, `*.secretKey`, `*.*.secretKey`).
 */
export const REDACT_PATHS: readonly string[] = [...SECRET_KEYS, ...URL_KEYS].flatMap(atDepths);

/**
 * pino's standard error serializer, minus command arguments: ioredis attaches the failed
 * command to its errors (`command: { name, args }`), and the args of a failed `AUTH` are
 * the password (of a `SET`, a record). Every `args` key of the serialized error and of
 * its causes, at any depth, is removed; `command.name` stays.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return dropArgs(pino.stdSerializers.err(err), 0);
}

function dropArgs(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => dropArgs(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "args") continue;
    out[key] = dropArgs(v, depth + 1);
  }
  return out;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** A pino level (`fatal` … `trace`, or `silent`); usually `config.logLevel`. */
  level: string;
  /** Where lines go; default standard output. */
  destination?: pino.DestinationStream | NodeJS.WritableStream;
  /** The `name` field of every line; default none. */
  name?: string;
}

/**
 * Creates the root logger: JSON lines, secrets redacted by path (censor
 * `"[redacted]"`), errors under `err` through pino's standard error serializer.
 *
 * @throws Error when `level` is not a pino level.
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    redact: {
      paths: [...REDACT_PATHS],
      censor: (value: unknown, path: string[]) =>
        URL_KEYS.some((k) => k === path.at(-1)) && typeof value === "string"
          ? redactUrlCredentials(value)
          : REDACTED,
    },
    serializers: { err: serializeError },
  };
  if (opts.name !== undefined) options.name = opts.name;
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}
