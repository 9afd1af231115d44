/**
 * One requests-per-second cap to GatePay shared by every worker in every process
 * (GATEPAY_MAX_RPS). The shared state lives in Redis (store/rate-limit-store.ts); this
 * module is the policy: the rate, the burst, and waiting until a request may go.
 */
import type { RateLimitStore } from "../store/rate-limit-store.js";

export interface RateLimiter {
  /** Resolves when one more GatePay request may go. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/** A limiter that never waits (no cap configured). */
export const UNLIMITED: RateLimiter = { acquire: () => Promise.resolve() };

export function createRateLimiter(store: RateLimitStore, maxRps: number | undefined): RateLimiter {
  if (maxRps === undefined) return UNLIMITED;
  if (!(maxRps > 0)) throw new RangeError(`maxRps must be positive (got ${maxRps})`);
  const intervalMs = 1000 / maxRps;
  // Burst of one request: the cap holds over any window, not just on average.
  const burst = 1;
  return {
    async acquire(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const waitMs = await store.take(intervalMs, burst);
        if (waitMs <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    },
  };
}
