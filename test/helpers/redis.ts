/**
 * Redis helpers for integration tests: the real server from the global setup, a fresh
 * hash-tagged key prefix per test, and cleanup of that prefix afterwards.
 *
 * ```ts
 * const redis = connect();
 * afterAll(() => redis.quit());
 * it("…", async () => {
 *   const prefix = usePrefix(redis, "store"); // deleted after the test, kept if it fails
 *   const store = new RefundStore(redis, prefix);
 * });
 * ```
 */
import { randomBytes } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { inject, onTestFinished } from "vitest";

/** The Redis URL the global setup provides (`REDIS_URL`, or a testcontainers Redis). */
export function redisUrl(): string {
  return inject("redisUrl");
}

/**
 * A unique key prefix such as `{t-store-3f9a1c0b}`. The braces are a Redis Cluster hash
 * tag, like production's `{gatepay}` (DESIGN.md "Scale"), so scripts that touch several
 * keys behave as they would in production. `name` is reduced to `[a-z0-9-]` so the prefix
 * is safe in key patterns and BullMQ queue prefixes.
 */
export function newPrefix(name: string): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "x";
  return `{t-${slug}-${randomBytes(4).toString("hex")}}`;
}

/** A new ioredis client on the test Redis. The caller quits it (`afterAll(() => redis.quit())`). */
export function connect(options: RedisOptions = {}): Redis {
  return new Redis(redisUrl(), options);
}

/** Escapes Redis glob metacharacters so `prefix` matches only itself in SCAN MATCH. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Deletes every key named `prefix` or starting with `prefix:` (SCAN, then UNLINK in
 * batches; never KEYS, which blocks the server). Returns how many keys were deleted.
 */
export async function cleanupPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = await redis.unlink(prefix);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${escapeGlob(prefix)}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== "0");
  return deleted;
}

/**
 * A fresh prefix for the current test, whose keys are deleted when the test passes and kept
 * (with a note naming the prefix) when it fails, for inspection with `redis-cli --scan`.
 * Call it inside a test, not in a hook. `redis` must stay open until the test has finished
 * (onTestFinished hooks run last-registered first, so register its `quit` before this).
 */
export function usePrefix(redis: Redis, name: string): string {
  const prefix = newPrefix(name);
  onTestFinished(async ({ task }) => {
    if (task.result?.state === "fail") {
      console.warn(`test failed: keys kept under ${prefix}* for inspection`);
      return;
    }
    await cleanupPrefix(redis, prefix);
  });
  return prefix;
}
