/**
 * One requests-per-second cap to GatePay shared by every worker in every process
 * (GATEPAY_MAX_RPS): a GCRA in Redis on Redis's own clock (lua.ts).
 */
import type { Redis } from "ioredis";
import { RATE_LIMIT } from "../store/lua.js";

export interface RateLimiter {
  /** Resolves when one more GatePay request may go. */
  acquire(signal?: AbortSignal): Promise<void>;
}

interface LimiterCommands {
  gprRateLimit(key: string, intervalMs: string, burst: string): Promise<number>;
}

/** A limiter that never waits (no cap configured). */
export const UNLIMITED: RateLimiter = { acquire: () => Promise.resolve() };

export function createRateLimiter(
  redis: Redis,
  key: string,
  maxRps: number | undefined,
): RateLimiter {
  if (maxRps === undefined) return UNLIMITED;
  if (!(maxRps > 0)) throw new RangeError(`maxRps must be positive (got ${maxRps})`);
  if (!("gprRateLimit" in redis)) {
    redis.defineCommand("gprRateLimit", { numberOfKeys: 1, lua: RATE_LIMIT });
  }
  const r = redis as Redis & LimiterCommands;
  const intervalMs = String(1000 / maxRps);
  // Burst of one request: the cap holds over any window, not just on average.
  const burst = "1";
  return {
    async acquire(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const waitMs = await r.gprRateLimit(key, intervalMs, burst);
        if (waitMs <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    },
  };
}
