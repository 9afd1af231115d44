/**
 * The one place that opens Redis connections (only `store/` talks to Redis directly:
 * README "Architecture"). Workers, producers, the CLI and the demo ask for a connection
 * here and hand it to the store and to BullMQ; connection policy (retries, timeouts,
 * later cluster seeds and durability) then lives in one module.
 */
import { Redis, type RedisOptions } from "ioredis";

/** A Redis connection as the rest of the code sees it. */
export type RedisConnection = Redis;

/**
 * Opens a connection to `url` with `options` (ioredis's). Workers pass
 * `maxRetriesPerRequest: null`, as BullMQ requires of a worker's connection.
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): RedisConnection {
  return new Redis(url, options);
}

/** True when a Redis at `url` answers PING within `timeoutMs`; never throws. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Deletes every key under `prefix` (SCAN + UNLINK, a thousand at a time) on a connection
 * of its own: the demo's and the tests' clean-up. Never use it on a live deployment's
 * prefix.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(
        cursor,
        "MATCH",
        `${prefix.replace(/[{}]/g, "\\$&")}:*`,
        "COUNT",
        1000,
      );
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
