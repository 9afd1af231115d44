/**
 * Finds the Redis the integration tests use:
 * 1. `REDIS_URL` when set (CI sets it);
 * 2. otherwise a throwaway Redis from testcontainers when a Docker engine answers;
 * 3. otherwise a Redis already answering on 127.0.0.1:6379;
 * else it stops with one message saying how to get one.
 * Each test then works under its own key prefix, so files can run in parallel.
 * Docker discovery and the container are the demo's own helper (src/cli/demo/).
 */
import { redisAnswers } from "../../src/cli/demo/find-redis.js";
import { startRedisContainer } from "../../src/cli/demo/redis-container.js";
import type { TestProject } from "vitest/node";

const LOCAL_URL = "redis://127.0.0.1:6379";
let stopContainer: (() => Promise<unknown>) | undefined;

async function fromDocker(): Promise<string | undefined> {
  const container = await startRedisContainer();
  if (!container) return undefined;
  stopContainer = () => container.stop();
  return container.url;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env["REDIS_URL"] || (await fromDocker());
  if (!url && (await redisAnswers(LOCAL_URL))) url = LOCAL_URL;
  if (!url) {
    throw new Error(
      "No Redis for the integration tests: set REDIS_URL, or run a Docker engine (testcontainers), " +
        'or start one locally: redis-server --daemonize yes --port 6379 --save "" --appendonly no',
    );
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
