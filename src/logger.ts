/**
 * The root pino logger. One root per process; units of work use
 * `log.child({ refundRequestId, jobId, attempt })`, object first, message second.
 *
 * Secrets are removed by key before a line is written, at any depth of the logged
 * object, of a child's bindings and of values interpolated into the message
 * (src/log-redaction.ts): the GatePay secret, the request signature (gatepay-api.md §3),
 * API tokens, passwords, authorization and cookie headers. A {@link Secret} serializes
 * as `"[redacted]"` at any depth and key. A Redis URL keeps its host but loses its
 * credentials. Errors go under `err` through pino's standard error serializer, without
 * the command arguments ioredis attaches to them.
 */
import { pino } from "pino";
import { redactError, redactForLog } from "./log-redaction.js";

export { REDACTED, SECRET_KEYS, URL_KEYS } from "./log-redaction.js";

/** The logger type used across the project. */
export type Logger = pino.Logger;

/**
 * pino's standard error serializer, minus secrets and command arguments: ioredis
 * attaches the failed command to its errors (`command: { name, args }`), and the args of
 * a failed `AUTH` are the password (of a `SET`, a record). Every `args` key of the
 * serialized error and of its causes, at any depth, is removed; `command.name` stays.
 */
export function serializeError(err: unknown): unknown {
  return err instanceof Error ? redactError(err) : err;
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

type LogArgs = Parameters<pino.LogFn>;

/**
 * Creates the root logger: JSON lines, secrets redacted by key at any depth (censor
 * `"[redacted]"`), errors under `err` through pino's standard error serializer.
 *
 * @throws Error when `level` is not a pino level.
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    // The logged object (an Error logged alone arrives here as `{ err }`).
    formatters: { log: (obj) => redactForLog(obj) as Record<string, unknown> },
    hooks: {
      // Values interpolated into the message (`log.info("%o", value)`), whose keys the
      // object walk above never sees.
      logMethod(args: LogArgs, method) {
        const first = typeof args[0] === "string" ? 1 : 2;
        if (args.length <= first) return method.apply(this, args);
        const redacted = args.map((a, i) => (i < first ? a : redactForLog(a)));
        return method.apply(this, redacted as LogArgs);
      },
    },
    serializers: { err: serializeError },
  };
  if (opts.name !== undefined) options.name = opts.name;
  const root = opts.destination === undefined ? pino(options) : pino(options, opts.destination);
  return redactBindings(root);
}

/**
 * A child's own serializers and log formatter run after (or instead of) the root's
 * formatter: their output is redacted too.
 */
function guarded(
  options: pino.ChildLoggerOptions | undefined,
): pino.ChildLoggerOptions | undefined {
  if (!options || (!options.serializers && !options.formatters?.log)) return options;
  const out: pino.ChildLoggerOptions = { ...options };
  if (options.serializers) {
    const serializers: Record<string, pino.SerializerFn> = {};
    for (const [key, fn] of Object.entries(options.serializers)) {
      serializers[key] = (value: unknown) => redactForLog(fn(value));
    }
    out.serializers = serializers;
  }
  const log = options.formatters?.log;
  if (log) {
    out.formatters = {
      ...options.formatters,
      log: (obj) =>
        redactForLog(log(redactForLog(obj) as Record<string, unknown>)) as Record<string, unknown>,
    };
  }
  return out;
}

/**
 * Bindings (`child`, `setBindings`) are written by pino without passing the log
 * formatter: redact them on the way in. Children inherit the root's methods (pino makes
 * each child with `Object.create(parent)`), so every descendant is covered.
 */
function redactBindings(root: Logger): Logger {
  const proto = Object.getPrototypeOf(root) as {
    child: (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
    setBindings: (this: Logger, bindings: pino.Bindings) => void;
  };
  const baseChild = proto.child;
  const baseSetBindings = proto.setBindings;
  Object.defineProperty(root, "child", {
    value: function redactedChild(
      this: Logger,
      bindings: pino.Bindings,
      options?: pino.ChildLoggerOptions,
    ): Logger {
      return baseChild.call(this, redactForLog(bindings) as pino.Bindings, guarded(options));
    },
  });
  Object.defineProperty(root, "setBindings", {
    value: function redactedSetBindings(this: Logger, bindings: pino.Bindings): void {
      baseSetBindings.call(this, redactForLog(bindings) as pino.Bindings);
    },
  });
  return root;
}
