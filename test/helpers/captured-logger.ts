/**
 * A logger whose lines land in an array (one JSON line per entry), for tests that read
 * what was logged. `keep`: only the last `keep` lines are held (long runs).
 */
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/logger.js";

export function capturedLogger(
  level: "debug" | "info",
  keep = Number.POSITIVE_INFINITY,
): { logger: Logger; logs: string[] } {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      if (logs.length > keep) logs.splice(0, logs.length - keep);
      cb();
    },
  });
  return { logger: createLogger({ level, destination }), logs };
}
