/**
 * Reporting a Redis connection problem without flooding the log. ioredis and BullMQ
 * emit an `error` for every failed attempt (a queue and a worker per connection, every
 * few hundred milliseconds), so a Redis that is down or refuses the password would write
 * thousands of lines a minute. A reporter writes the first occurrence of a problem, then
 * one line per backoff step (1 s, 2 s, 4 s … up to a minute) with how many were held
 * back, and says once when the connection works again.
 */
import type { Logger } from "../logger.js";

/** Reports one source's Redis errors; see the module comment. */
export interface RedisProblemReporter {
  /** An error event; written only when a backoff step has passed. */
  report(err: unknown): void;
  /** The connection works again: the next problem is written at once. */
  recovered(): void;
}

/** Options of {@link createRedisProblemReporter}. */
export interface RedisProblemReporterOptions {
  /** The message of a line; default `"Redis connection problem"`. */
  message?: string;
  /** Fields of every line, e.g. `{ queue: "refund-submit" }`. */
  bindings?: Record<string, unknown>;
  /** First backoff step, ms; default 1,000. */
  firstIntervalMs?: number;
  /** Longest step, ms; default 60,000. */
  maxIntervalMs?: number;
  /** The clock; default `Date.now`. */
  now?: () => number;
}

/**
 * A reporter writing to `logger` at `warn` (`error` for an authentication refusal),
 * the error under `err` (the logger's serializer drops command arguments).
 */
export function createRedisProblemReporter(
  logger: Logger,
  opts: RedisProblemReporterOptions = {},
): RedisProblemReporter {
  const first = opts.firstIntervalMs ?? 1_000;
  const max = opts.maxIntervalMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const bindings = opts.bindings ?? {};
  const title = opts.message ?? "Redis connection problem";
  let failing = false;
  let nextAt = 0;
  let interval = first;
  let held = 0;
  return {
    report(err) {
      const t = now();
      if (failing && t < nextAt) {
        held += 1;
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const auth = /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(message);
      const line = { ...bindings, err, ...(held > 0 && { repeated: held }) };
      const text = failing ? `${title} (continues)` : title;
      if (auth) logger.error(line, text);
      else logger.warn(line, text);
      if (failing) interval = Math.min(interval * 2, max);
      failing = true;
      nextAt = t + interval;
      held = 0;
    },
    recovered() {
      if (!failing) return;
      logger.info(
        { ...bindings, ...(held > 0 && { repeated: held }) },
        "Redis connection works again",
      );
      failing = false;
      interval = first;
      held = 0;
    },
  };
}
