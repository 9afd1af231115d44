/**
 * The one place that opens Redis connections (only `store/` talks to Redis directly:
 * README "Architecture"). Workers, producers, the CLI and the demo ask for a connection
 * here and hand it to the store and to BullMQ; connection policy (retries, timeouts,
 * later cluster seeds and durability) then lives in one module.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { withTimeout } from "../with-timeout.js";

/**
 * A Redis connection as the rest of the code sees it: one server, or a Redis Cluster
 * (ioredis routes each command to the master of its key's slot).
 */
export type RedisConnection = Redis | Cluster;

/** Where to connect: `REDIS_URL`, or Redis Cluster seeds (`REDIS_CLUSTER_NODES`). */
export interface RedisTarget {
  /** `REDIS_URL`. With `clusterNodes` only its credentials and TLS (`rediss:`) are used. */
  readonly url: string;
  readonly clusterNodes?: readonly { readonly host: string; readonly port: number }[] | undefined;
}

/** The {@link RedisTarget} of a loaded config. */
export function redisTargetOf(config: {
  readonly redisUrl: string;
  readonly redisClusterNodes?: RedisTarget["clusterNodes"];
}): RedisTarget {
  return { url: config.redisUrl, clusterNodes: config.redisClusterNodes };
}

/** True when `redis` is a Redis Cluster connection. */
export function isClusterConnection(redis: RedisConnection): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * What every node of a cluster takes from `REDIS_URL`: its user name, password and TLS
 * (`rediss:`); never its host.
 */
export function clusterCredentials(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    ...(url.username !== "" && { username: decodeURIComponent(url.username) }),
    ...(url.password !== "" && { password: decodeURIComponent(url.password) }),
    ...(url.protocol === "rediss:" && { tls: {} }),
  };
}

/**
 * Opens a connection to `target` with `options` (ioredis's, per node in a cluster):
 * a single server at `target.url`, or a Redis Cluster from `target.clusterNodes`. A
 * cluster connection waits for the cluster to be ready (`enableReadyCheck`), follows
 * `MOVED`/`ASK` redirections (up to 16) and retries `TRYAGAIN` and `CLUSTERDOWN` (a slot
 * migrating, a failover under way) instead of failing the command; the password,
 * user name and TLS of `target.url` apply to every node.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions = {}): RedisConnection {
  if (!target.clusterNodes || target.clusterNodes.length === 0) {
    return new Redis(target.url, options);
  }
  const nodeOptions: RedisOptions = { ...options, ...clusterCredentials(target.url) };
  const { lazyConnect, retryStrategy, ...redisOptions } = nodeOptions;
  const clusterOptions: ClusterOptions = {
    redisOptions,
    enableReadyCheck: true,
    maxRedirections: 16,
    retryDelayOnMoved: 0,
    retryDelayOnTryAgain: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnFailover: 100,
    slotsRefreshTimeout: 2_000,
    ...(lazyConnect !== undefined && { lazyConnect }),
    ...(retryStrategy && { clusterRetryStrategy: retryStrategy }),
  };
  return new Cluster(
    target.clusterNodes.map((node) => ({ host: node.host, port: node.port })),
    clusterOptions,
  );
}

/**
 * Opens a connection to `url` with `options` (ioredis's). Workers pass
 * `maxRetriesPerRequest: null`, as BullMQ requires of a worker's connection.
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
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

/**
 * Closes `redis` and never hangs. A connection that is up (or connecting) gets QUIT, which
 * lets the replies already owed arrive, and is dropped when QUIT takes longer than
 * `timeoutMs`; one that is waiting to reconnect (its server killed or failed over) is
 * dropped at once: ioredis queues a QUIT sent then behind the commands already waiting
 * for a server, so a plain `quit()` could wait forever and keep a shutting-down process
 * alive. Commands still waiting for a server are abandoned: ioredis neither sends nor
 * fails them once the reconnect is cancelled.
 */
export async function closeRedisConnection(
  redis: RedisConnection,
  timeoutMs = 2_000,
): Promise<void> {
  const { status } = redis;
  if (status === "end" || status === "close") return;
  if (status === "reconnecting" || status === "wait") {
    redis.disconnect();
    return;
  }
  try {
    await withTimeout(redis.quit(), timeoutMs, "QUIT took too long");
  } catch {
    redis.disconnect();
  }
}
