/**
 * A RefundStore on a fresh prefix of the test Redis, with a clock the test moves by hand
 * (`clock.ms`), for store tests that step through leases and stall windows.
 */
import type { Redis } from "ioredis";
import { RefundStore } from "../../src/store/refund-store.js";
import { usePrefix } from "./redis.js";

export interface ClockedStore {
  store: RefundStore;
  clock: { ms: number };
}

export function clockedStore(
  redis: Redis,
  name: string,
  startMs: number,
  stallWindowMs: number,
): ClockedStore {
  const clock = { ms: startMs };
  const store = new RefundStore(redis, usePrefix(redis, name), {
    now: () => clock.ms,
    stallWindowMs,
  });
  return { store, clock };
}
