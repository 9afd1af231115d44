/**
 * The producer for one-shot commands (`enqueue`, `status`, `replay`), on a Redis
 * connection that fails fast: a command run by a person or a script should say "cannot
 * reach Redis" in seconds, not retry forever like a worker.
 */
import type { Config } from "../config.js";
import {
  createRefundProducer,
  producerOptionsFromConfig,
  type RefundProducer,
} from "../producer/enqueue-refund.js";
import { redactUrlCredentials } from "../secret.js";
import { RedisAuthError, redisAuthFailure } from "../store/redis-auth-error.js";
import { closeRedisConnection, connectRedis, redisTargetOf } from "../store/redis-connection.js";
import { CliExit, EXIT_CODES } from "./output.js";
import { startTracing } from "./tracing.js";

/** Time allowed to open the Redis connection, ms. */
export const CLI_REDIS_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connects to `config.redisUrl`, runs `fn` with a producer under `config.queuePrefix`,
 * and closes everything whatever `fn` does.
 *
 * @throws CliExit (exit 1) naming the Redis URL, without its credentials, when Redis
 *   cannot be reached; whatever `fn` throws.
 */
export async function withProducer<T>(
  config: Config,
  fn: (producer: RefundProducer) => Promise<T>,
): Promise<T> {
  const redis = connectRedis(redisTargetOf(config), {
    lazyConnect: true,
    connectTimeout: CLI_REDIS_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => (times > 3 ? null : 200 * times),
  });
  let lastError: Error | undefined;
  // Without a listener ioredis prints every connection error itself.
  redis.on("error", (err: Error) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    // A refused password is the operator's configuration: exit 2 with the one clear line.
    if (redisAuthFailure(lastError ?? err) !== undefined) {
      throw new RedisAuthError(config.redisUrl, redisAuthFailure(lastError ?? err)!);
    }
    const reason = lastError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new CliExit(EXIT_CODES.failure, `cannot reach Redis at ${where(config)}: ${reason}`);
  }
  const tracing = await startTracing(config.tracing);
  const producer = createRefundProducer({ ...producerOptionsFromConfig(config), redis });
  // A BullMQ queue re-emits connection errors; an "error" event without a listener
  // would crash the process instead of failing the command with a message.
  producer.queues.submit.on("error", (err: Error) => (lastError = err));
  producer.queues.poll.on("error", (err: Error) => (lastError = err));
  try {
    return await fn(producer);
  } finally {
    await producer.close().catch(() => undefined);
    await closeRedisConnection(redis);
    await tracing.shutdown().catch(() => undefined);
  }
}

/** The Redis a command connects to, without credentials: the URL or the cluster seeds. */
function where(config: Config): string {
  const nodes = config.redisClusterNodes;
  return nodes && nodes.length > 0
    ? `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(",")}`
    : redactUrlCredentials(config.redisUrl);
}
