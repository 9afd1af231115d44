/**
 * The start-up check of Redis credentials. A worker's connections retry forever (BullMQ
 * requires it), which is right for a Redis that is down but wrong for one that refuses
 * the password: each retry fails the same way. So before anything is opened, one probe
 * connection (no retries) says whether the server accepts the credentials.
 *
 * On Redis Cluster (`REDIS_CLUSTER_NODES`) the probe goes to the seeds, in order, with the
 * user name, password and TLS the cluster connection takes from `REDIS_URL`
 * (redis-connection.ts): the first seed that answers decides. `REDIS_URL`'s own host is
 * not contacted then (it may be a default `127.0.0.1:6379` that is not part of the cluster).
 */
import { Redis, type RedisOptions } from "ioredis";
import { clusterCredentials, type RedisTarget } from "./redis-connection.js";
import { RedisAuthError, redisAuthFailure } from "./redis-auth-error.js";

/** What one probe learnt. */
type ProbeResult =
  { kind: "accepted" } | { kind: "unreachable" } | { kind: "refused"; reply: string };

async function probe(redis: Redis): Promise<ProbeResult> {
  let refused: string | undefined;
  // A listener, so ioredis does not print the error (with the AUTH arguments) itself.
  redis.on("error", (err: unknown) => (refused ??= redisAuthFailure(err)));
  try {
    await redis.connect();
    await redis.ping();
    return { kind: "accepted" };
  } catch (err) {
    refused ??= redisAuthFailure(err);
    return refused === undefined ? { kind: "unreachable" } : { kind: "refused", reply: refused };
  } finally {
    redis.disconnect();
  }
}

function probeOptions(timeoutMs: number): RedisOptions {
  return {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  };
}

/**
 * Connects once to `target` (`REDIS_URL`, or the cluster's seeds one by one) and sends PING.
 *
 * @returns when Redis accepts the credentials, or cannot be reached at all (the caller's
 *   own connections then keep retrying and report it).
 * @throws RedisAuthError when Redis refuses the credentials.
 */
export async function checkRedisCredentials(
  target: string | RedisTarget,
  timeoutMs = 5_000,
): Promise<void> {
  const { url, clusterNodes } = typeof target === "string" ? { url: target } : target;
  if (!clusterNodes || clusterNodes.length === 0) {
    const result = await probe(new Redis(url, probeOptions(timeoutMs)));
    if (result.kind === "refused") throw new RedisAuthError(url, result.reply);
    return;
  }
  // The same credentials and TLS as connectRedis gives every node of a cluster.
  const credentials = clusterCredentials(url);
  const protocol = new URL(url).protocol;
  for (const node of clusterNodes) {
    const result = await probe(
      new Redis({ ...probeOptions(timeoutMs), ...credentials, host: node.host, port: node.port }),
    );
    if (result.kind === "accepted") return;
    if (result.kind === "refused") {
      // The node's address only: the credentials are REDIS_URL's, never in the message.
      throw new RedisAuthError(`${protocol}//${node.host}:${node.port}`, result.reply);
    }
  }
}
