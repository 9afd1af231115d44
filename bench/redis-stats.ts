/**
 * Redis counters for the benchmarks: INFO commandstats (calls per command, including the
 * commands Lua scripts run, which Redis counts too) and INFO memory.
 */
import type { Redis } from "ioredis";

/** Calls per command name (lower case, subcommands as `client|setname`). */
export type CommandCounts = Map<string, number>;

/** Commands the measuring side issues itself; left out of every delta. */
const MEASUREMENT_COMMANDS = new Set(["info", "config|resetstat", "memory|usage", "dbsize"]);

/** The current `INFO commandstats` calls per command. */
export async function commandStats(redis: Redis): Promise<CommandCounts> {
  const text = await redis.info("commandstats");
  const out: CommandCounts = new Map();
  for (const line of text.split("\n")) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** `after - before` per command, without the measurement's own commands and zero rows. */
export function diffCounts(before: CommandCounts, after: CommandCounts): CommandCounts {
  const out: CommandCounts = new Map();
  for (const [name, calls] of after) {
    if (MEASUREMENT_COMMANDS.has(name)) continue;
    const d = calls - (before.get(name) ?? 0);
    if (d > 0) out.set(name, d);
  }
  return out;
}

/** Sum of all calls in `counts`. */
export function totalCalls(counts: CommandCounts): number {
  let sum = 0;
  for (const v of counts.values()) sum += v;
  return sum;
}

/** `INFO memory` `used_memory`, bytes. */
export async function usedMemoryBytes(redis: Redis): Promise<number> {
  const text = await redis.info("memory");
  const m = /used_memory:(\d+)/.exec(text);
  if (!m) throw new Error("INFO memory has no used_memory");
  return Number(m[1]);
}

/** CPU the redis-server process has used (`INFO cpu`: user + system), seconds. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const text = await redis.info("cpu");
  const user = Number(/used_cpu_user:([\d.]+)/.exec(text)?.[1] ?? NaN);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(text)?.[1] ?? NaN);
  return user + sys;
}

/** Calls per unit (e.g. per refund), per command, sorted by calls descending. */
export function perUnit(counts: CommandCounts, units: number): [string, number][] {
  return [...counts.entries()]
    .map(([name, calls]): [string, number] => [name, calls / units])
    .sort((a, b) => b[1] - a[1]);
}
