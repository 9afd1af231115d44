/**
 * A whole refund pipeline for integration tests: the GatePay sandbox (real HTTP, in its
 * strict `duplicate` mode unless told otherwise), workers and a producer on the real
 * Redis under a fresh prefix, with schedules compressed to milliseconds.
 */
import { capturedLogger } from "./captured-logger.js";
import { Redis } from "ioredis";
import { onTestFinished } from "vitest";
import { loadConfig, type Config } from "../../src/config.js";
import { FINAL_STATES } from "../../src/domain/refund-state.js";
import { shardPrefixes } from "../../src/domain/shard.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import type { Logger } from "../../src/logger.js";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import type { RefundSettings } from "../../src/worker/context.js";
import { startRefundWorkers, type RefundWorkers } from "../../src/worker/start-workers.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "./redis.js";
import { waitFor } from "./wait-for.js";

export const CLIENT_ID = "test-client";
export const SECRET = "sandbox-secret-7f3c9a1e5b2d4f6a8c0e";

export interface PipelineOptions {
  name: string;
  sandbox?: Partial<SandboxOptions>;
  env?: Record<string, string>;
  settings?: Partial<RefundSettings>;
  /** Start workers (default true). */
  workers?: boolean;
}

export interface Pipeline {
  prefix: string;
  config: Config;
  sandbox: Sandbox;
  producer: RefundProducer;
  workers: RefundWorkers | undefined;
  redis: Redis;
  /** Every log line the workers wrote (JSON text). */
  logs: string[];
  logger: Logger;
  startWorkers(overrides?: Partial<RefundSettings>): Promise<RefundWorkers>;
  waitFinal(id: string, timeoutMs?: number): Promise<RefundRecord>;
  waitState(id: string, state: RefundRecord["state"], timeoutMs?: number): Promise<RefundRecord>;
}

export const FAST_SETTINGS: Partial<RefundSettings> = {
  timeoutMs: 1_000,
  leaseMarginMs: 300,
  unknownOutcomeGraceMs: 600,
  backoff: { baseMs: 50, capMs: 400 },
  poll: { firstDelayMs: 150, maxDelayMs: 600, deadlineMs: 15_000 },
};

/** Starts a pipeline and registers its teardown on the current test. */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const prefix = newPrefix(options.name);
  // A test may run the pipeline on a Redis of its own (env.REDIS_URL): the producer too.
  // Such a Redis may fail over mid-test: commands wait for it (as a worker's do).
  const ownUrl = options.env?.["REDIS_URL"];
  const redis =
    ownUrl === undefined ? connect() : new Redis(ownUrl, { maxRetriesPerRequest: null });
  const sandbox = await startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    duplicateMode: "duplicate",
    settleDelayMs: 200,
    ...options.sandbox,
  });
  const config = loadConfig(
    {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      GATEPAY_BASE_URL: sandbox.url,
      GATEPAY_CLIENT_ID: CLIENT_ID,
      GATEPAY_SECRET_KEY: SECRET,
      WORKER_CONCURRENCY: "10",
      SUBMIT_MAX_ATTEMPTS: "6",
      LOG_LEVEL: "debug",
      ...options.env,
    },
    { require: ["gatepay"] },
  );
  const { logger, logs } = capturedLogger("debug");
  const producer = createRefundProducer({
    redis,
    prefix,
    shards: config.queueShards,
    submitMaxAttempts: config.worker.submitMaxAttempts,
    durability: config.durability,
    logger,
  });

  const started: RefundWorkers[] = [];
  const pipeline: Pipeline = {
    prefix,
    config,
    sandbox,
    producer,
    workers: undefined,
    redis,
    logs,
    logger,
    async startWorkers(overrides = {}) {
      const w = await startRefundWorkers({
        config,
        logger,
        settings: { ...FAST_SETTINGS, ...options.settings, ...overrides },
        reconciler: { intervalMs: 0 },
        stalledIntervalMs: 1_000,
        lockDurationMs: 2_000,
      });
      await w.waitUntilReady();
      started.push(w);
      pipeline.workers = w;
      return w;
    },
    async waitFinal(id, timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const r = await producer.getRefund(id);
          return r && FINAL_STATES.has(r.state) ? r : null;
        },
        `refund ${id} to be final`,
        timeoutMs,
      );
    },
    async waitState(id, state, timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const r = await producer.getRefund(id);
          return r?.state === state ? r : null;
        },
        `refund ${id} to reach ${state}`,
        timeoutMs,
      );
    },
  };

  onTestFinished(async ({ task }) => {
    for (const w of started) await w.close();
    await producer.close();
    await sandbox.close();
    if (task.result?.state === "fail") {
      console.warn(
        `test failed: keys kept under ${prefix}*; last logs:\n${logs.slice(-30).join("\n")}`,
      );
    } else if (ownUrl === undefined) {
      await cleanupPrefix(redis, prefix);
      if (config.queueShards > 1) {
        for (const shard of shardPrefixes(prefix, config.queueShards))
          await cleanupPrefix(redis, shard);
      }
    }
    // A Redis of the test's own is thrown away with its data (and may be gone already).
    if (ownUrl === undefined) await redis.quit();
    else redis.disconnect();
  });

  if (options.workers !== false) await pipeline.startWorkers();
  return pipeline;
}
