/**
 * The store's shared coordination state against the real Redis: the lease lock (one
 * reconciler at a time) and the GATEPAY_MAX_RPS limiter's GCRA step.
 */
import { afterAll, describe, expect, it } from "vitest";
import { LeaseLock } from "../../src/store/lease-lock.js";
import { RateLimitStore } from "../../src/store/rate-limit-store.js";
import { connect, usePrefix } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";

const redis = connect();
afterAll(async () => {
  await redis.quit();
});

describe("LeaseLock", () => {
  it("one holder at a time; only the holder releases it", async () => {
    const lock = new LeaseLock(redis, `${usePrefix(redis, "lock")}:lock`);
    expect(await lock.acquire("a", 10_000)).toBe(true);
    expect(await lock.acquire("b", 10_000)).toBe(false);
    expect(await lock.release("b")).toBe(false);
    expect(await redis.get(lock.key)).toBe("a");
    expect(await lock.release("a")).toBe(true);
    expect(await lock.release("a")).toBe(false);
    expect(await lock.acquire("b", 10_000)).toBe(true);
  });

  it("expires, and a late release by the old holder leaves the new holder's lock", async () => {
    const lock = new LeaseLock(redis, `${usePrefix(redis, "lock-expiry")}:lock`);
    expect(await lock.acquire("a", 50)).toBe(true);
    await waitFor(async () => (await lock.acquire("b", 10_000)) || undefined, "lock expiry");
    expect(await lock.release("a")).toBe(false);
    expect(await redis.get(lock.key)).toBe("b");
  });
});

describe("RateLimitStore", () => {
  it("lets one request go per interval and says how long to wait", async () => {
    const limiter = new RateLimitStore(redis, `${usePrefix(redis, "rl")}:ratelimit`);
    expect(await limiter.take(10_000, 1)).toBe(0);
    const waitMs = await limiter.take(10_000, 1);
    expect(waitMs).toBeGreaterThan(9_000);
    expect(waitMs).toBeLessThanOrEqual(10_000);
    expect(Number(await redis.pttl(limiter.key))).toBeGreaterThan(10_000);
  });

  it("a burst of n lets n go back to back", async () => {
    const limiter = new RateLimitStore(redis, `${usePrefix(redis, "rl-burst")}:ratelimit`);
    for (let i = 0; i < 3; i++) expect(await limiter.take(10_000, 3)).toBe(0);
    expect(await limiter.take(10_000, 3)).toBeGreaterThan(0);
  });
});
