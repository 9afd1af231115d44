/**
 * The durability start-up lines already logged, per logger: one per distinct server (its
 * epoch) and plan, while a monitor that logged it is open. With QUEUE_SHARDS > 1 on one
 * Redis every shard's monitor reads the same server: the line is written once, not once
 * per shard (src/store/durability.ts).
 */
import type { Logger } from "../logger.js";

const startLines = new WeakMap<Logger, Map<string, number>>();

/** Counts a monitor holding line `key`; true when it is the first (so it logs the line). */
export function openStartLine(logger: Logger, key: string): boolean {
  let lines = startLines.get(logger);
  if (!lines) startLines.set(logger, (lines = new Map<string, number>()));
  const open = lines.get(key) ?? 0;
  lines.set(key, open + 1);
  return open === 0;
}

/** A monitor holding line `key` closed: the next one to open it logs it again. */
export function closeStartLine(logger: Logger, key: string): void {
  const lines = startLines.get(logger);
  if (!lines) return;
  const open = (lines.get(key) ?? 1) - 1;
  if (open > 0) lines.set(key, open);
  else lines.delete(key);
}
