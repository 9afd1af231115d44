/**
 * The project's pipeline as the benchmarks run it: `startRefundWorkers` and
 * `createRefundProducer` exactly as shipped (records, validation, leases, the event
 * stream, `info` logging serialised by pino), with only the schedule compressed (first
 * poll after `pollFirstDelayMs`, default 0) and the reconciler off (its 30 s sweep would
 * land at a random point of a run of a few seconds).
 *
 * Logs go to /dev/null: the cost of building and serialising each line is counted, the
 * terminal is not.
 */
import { pino } from "pino";
import { loadConfig } from "../src/config.js";
import { GatePayClient } from "../src/gatepay/client.js";
import { createLogger } from "../src/logger.js";
import { createRefundProducer, producerOptionsFromConfig } from "../src/producer/enqueue-refund.js";
import { startRefundWorkers } from "../src/worker/start-workers.js";
import { BENCH_CLIENT_ID, BENCH_SECRET, type BenchRefund } from "./refunds.js";
import type { LifecycleProducer, LifecycleWorkers, SystemOptions } from "./system-types.js";

/**
 * Which GatePay client the workers use: `shipped` is what `startRefundWorkers` builds
 * from config (its default transport); `global-fetch` is the same client given the global
 * fetch through its `fetch` option, to measure what the fetch machinery costs.
 */
export type ClientVariant = "shipped" | "global-fetch";

function benchConfig(options: SystemOptions) {
  return loadConfig(
    {
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix,
      GATEPAY_BASE_URL: options.sandboxUrl,
      GATEPAY_CLIENT_ID: BENCH_CLIENT_ID,
      GATEPAY_SECRET_KEY: BENCH_SECRET,
      WORKER_CONCURRENCY: String(options.concurrency),
      LOG_LEVEL: "info",
      ...options.env,
    },
    { require: ["gatepay"] },
  );
}

/** Starts the project's submit and poll workers against the sandbox. */
export async function startPipelineWorkers(
  options: SystemOptions,
  variant: ClientVariant = "shipped",
): Promise<LifecycleWorkers> {
  const config = benchConfig(options);
  const logger = createLogger({
    level: "info",
    destination: pino.destination({ dest: "/dev/null", sync: false }),
  });
  let client: GatePayClient | undefined;
  if (variant === "global-fetch") {
    client = new GatePayClient({
      baseUrl: options.sandboxUrl,
      clientId: BENCH_CLIENT_ID,
      secretKey: BENCH_SECRET,
      fetch: (input, init) => globalThis.fetch(input, init),
    });
  }
  const firstDelayMs = options.pollFirstDelayMs ?? 0;
  const workers = await startRefundWorkers({
    config,
    logger,
    ...(client ? { client } : {}),
    settings: {
      poll: { firstDelayMs, maxDelayMs: Math.max(firstDelayMs, 50), deadlineMs: 3_600_000 },
    },
    reconciler: { intervalMs: 0 },
  });
  let finals = 0;
  let submits = 0;
  const listeners = new Set<() => void>();
  const count = (outcome: string | undefined, finalOutcome: string): void => {
    if (outcome !== finalOutcome) return;
    finals += 1;
    for (const l of listeners) l();
  };
  // With QUEUE_SHARDS > 1 every shard has its own workers (the top-level ones are shard 0's).
  for (const shard of workers.shards ?? [workers]) {
    shard.pollWorker.on("completed", (_job, result: { outcome?: string } | undefined) =>
      count(result?.outcome, "final"),
    );
    shard.submitWorker.on("completed", (_job, result: { outcome?: string } | undefined) => {
      submits += 1;
      count(result?.outcome, "finalized");
    });
  }
  await workers.waitUntilReady();
  return {
    finals: () => finals,
    submits: () => submits,
    onFinal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await workers.close();
      logger.flush();
    },
  };
}

/** The project's producer: `enqueueBulk` (validation, reservation, record, submit job). */
export function createPipelineProducer(options: SystemOptions): LifecycleProducer {
  const config = benchConfig(options);
  // From config, so REDIS_DURABILITY, REDIS_CLUSTER_NODES and QUEUE_SHARDS in `env` apply.
  const producer = createRefundProducer(producerOptionsFromConfig(config));
  const chunkSize = options.chunkSize ?? 500;
  return {
    async enqueue(refunds: readonly BenchRefund[]) {
      const items = await producer.enqueueBulk(refunds, { chunkSize });
      const bad = items.find((i) => i.outcome !== "created");
      if (bad) throw new Error(`enqueueBulk: item ${bad.index} was ${bad.outcome}`);
    },
    async check(ids: readonly string[]) {
      let succeeded = 0;
      let deferred = 0;
      for (let i = 0; i < ids.length; i += 1_000) {
        // The producer's getMany finds records in any shard (QUEUE_SHARDS > 1).
        for (const r of await producer.getMany(ids.slice(i, i + 1_000))) {
          if (r?.state === "succeeded") succeeded += 1;
          if (r?.history.some((h) => h.event === "submit-deferred")) deferred += 1;
        }
      }
      return { succeeded, deferred };
    },
    close: () => producer.close(),
  };
}
