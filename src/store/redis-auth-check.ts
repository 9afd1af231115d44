/**
 * The start-up check of Redis credentials. A worker's connections retry forever (BullMQ
 * requires it), which is right for a Redis that is down but wrong for one that refuses
 * the password: each retry fails the same way. So before anything is opened, one probe
 * connection (no retries) says whether the server accepts the credentials.
 */
import { Redis } from "ioredis";
import { RedisAuthError, redisAuthFailure } from "./redis-auth-error.js";

/**
 * Connects once to `url` and sends PING.
 *
 * @returns when Redis accepts the credentials, or cannot be reached at all (the caller's
 *   own connections then keep retrying and report it).
 * @throws RedisAuthError when Redis refuses the credentials.
 */
export async function checkRedisCredentials(url: string, timeoutMs = 5_000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let refused: string | undefined;
  // A listener, so ioredis does not print the error (with the AUTH arguments) itself.
  probe.on("error", (err: unknown) => (refused ??= redisAuthFailure(err)));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    refused ??= redisAuthFailure(err);
  } finally {
    probe.disconnect();
  }
  if (refused !== undefined) throw new RedisAuthError(url, refused);
}
