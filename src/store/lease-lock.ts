/**
 * A lock with an expiry, shared by every process on one Redis (the reconciler's "one
 * run at a time"). Taken with SET NX PX, so a holder that dies frees it when it expires;
 * released only by its holder, atomically (releaseLock-1.lua), so a holder whose lock
 * expired cannot delete the lock someone else took since.
 */
import type { RedisConnection } from "./redis-connection.js";
import { releaseLockScript } from "./scripts.js";

export class LeaseLock {
  readonly #redis: RedisConnection;
  readonly key: string;

  constructor(redis: RedisConnection, key: string) {
    this.#redis = redis;
    this.key = key;
  }

  /** Takes the lock for `ttlMs` as `owner`; false when someone holds it. */
  async acquire(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(this.key, owner, "PX", ttlMs, "NX")) === "OK";
  }

  /** Releases the lock if `owner` still holds it; true when it did. */
  async release(owner: string): Promise<boolean> {
    return releaseLockScript.run(this.#redis, { key: this.key, owner });
  }
}
