/**
 * The Redis side of the GatePay request cap (GATEPAY_MAX_RPS): one GCRA state shared by
 * every worker in every process, stepped atomically on Redis's own clock
 * (rateLimit-1.lua). The policy (rate, burst, waiting) is the worker's rate-limiter.ts.
 */
import type { RedisConnection } from "./redis-connection.js";
import { rateLimitScript } from "./scripts.js";

export class RateLimitStore {
  readonly #redis: RedisConnection;
  readonly key: string;

  constructor(redis: RedisConnection, key: string) {
    this.#redis = redis;
    this.key = key;
  }

  /**
   * Asks for one request at one per `intervalMs` with bursts of `burst`: 0 when it may go
   * now (and counts it), else the ms to wait before asking again (nothing counted).
   */
  async take(intervalMs: number, burst: number): Promise<number> {
    return rateLimitScript.run(this.#redis, { key: this.key, intervalMs, burst });
  }
}
