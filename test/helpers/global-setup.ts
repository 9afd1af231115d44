/**
 * Finds the Redis the integration tests use: `REDIS_URL` when set (CI and this machine);
 * otherwise, when a Docker engine answers, a throwaway Redis from testcontainers.
 * Each test then works under its own queue prefix, so files can run in parallel.
 */
import type { TestProject } from "vitest/node";

let stopContainer: (() => Promise<unknown>) | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env["REDIS_URL"];
  if (!url) {
    const { RedisContainer } = await import("@testcontainers/redis");
    try {
      const container = await new RedisContainer("redis:7-alpine").start();
      stopContainer = () => container.stop();
      url = container.getConnectionUrl();
    } catch (err) {
      throw new Error(
        "REDIS_URL is unset and no Docker engine could start a Redis container. " +
          "Start Redis (redis-server --port 6379) and set REDIS_URL=redis://127.0.0.1:6379.",
        { cause: err },
      );
    }
  }
  project.provide("redisUrl", url);
  return async () => {
    await stopContainer?.();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
