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
