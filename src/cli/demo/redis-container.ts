/**
 * A throwaway Redis in Docker, through testcontainers: the demo's last resort when it
 * finds no Redis (./find-redis.ts) and the test suite's first choice after `REDIS_URL`
 * (test/helpers/global-setup.ts). One place decides whether a Docker engine may be there
 * and how the container is started.
 *
 * `@testcontainers/redis` is a development dependency: where it is not installed (a
 * production install), there is simply no container.
 */
import { existsSync } from "node:fs";

/** A running Redis container. */
export interface StartedRedisContainer {
  /** `redis://host:port` of the container. */
  url: string;
  /** Stops and removes the container. */
  stop(): Promise<void>;
}

/** The image the container runs (the Redis major the project targets). */
export const REDIS_CONTAINER_IMAGE = "redis:7-alpine";

const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * True when a Docker engine may answer: `DOCKER_HOST` is set or the default socket
 * exists. A cheap check first, so that a machine without Docker skips testcontainers'
 * slow discovery.
 */
export function dockerMayBeAvailable(
  env: Readonly<Record<string, string | undefined>> = process.env,
  socketExists: (path: string) => boolean = existsSync,
): boolean {
  return Boolean(env["DOCKER_HOST"]) || socketExists(DEFAULT_DOCKER_SOCKET);
}

/**
 * Starts {@link REDIS_CONTAINER_IMAGE}; resolves undefined when there is no Docker engine,
 * testcontainers is not installed, or the container does not start.
 */
export async function startRedisContainer(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<StartedRedisContainer | undefined> {
  if (!dockerMayBeAvailable(env)) return undefined;
  try {
    const { RedisContainer } = await import("@testcontainers/redis");
    const container = await new RedisContainer(REDIS_CONTAINER_IMAGE).start();
    return {
      url: container.getConnectionUrl(),
      stop: async () => {
        await container.stop();
      },
    };
  } catch {
    return undefined;
  }
}
