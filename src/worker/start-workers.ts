/**
 * The worker factory: submit and poll workers, the reconciler, and a clean shutdown.
 *
 * BullMQ sharp edges handled here:
 * - `maxRetriesPerRequest: null` on worker connections (BullMQ requires it; commands wait
 *   through a Redis restart instead of failing a job mid-refund).
 * - `lockDuration`, `stalledInterval`, `maxStalledCount` and the submit lease come from
 *   one recovery-time objective (recovery-time.ts): a dead worker's refunds move again
 *   within lock + stalled interval. A job that stalls must run again, not be failed by
 *   BullMQ — the submit processor's lease and look-up-first rules make the re-run safe.
 *   The reconciler catches the rest.
 * - Shutdown: `worker.close()` lets in-flight jobs finish; their results are stored
 *   before the connections close.
 */
import { randomUUID } from "node:crypto";
import { Worker } from "bullmq";
import type { Config } from "../config.js";
import { normalizeQueuePrefix } from "../domain/queue-prefix.js";
import { GatePayClient, type GatePayClientOptions } from "../gatepay/client.js";
import { createLogger, type Logger } from "../logger.js";
import { SUBMIT_BACKOFF_TYPE } from "../jobs/job-options.js";
import { QUEUE_NAMES } from "../jobs/queue-names.js";
import { createRefundQueues } from "../jobs/refund-queues.js";
import { createQueueTelemetry } from "../jobs/telemetry.js";
import { RateLimitStore } from "../store/rate-limit-store.js";
import { DurabilityMonitor, type DurabilityMonitorOptions } from "../store/durability.js";
import { createRedisProblemReporter } from "../store/redis-problem-reporter.js";
import { shardPrefix } from "../domain/shard.js";
import { refundKeys } from "../store/keys.js";
import { RefundShards } from "../store/refund-shards.js";
import { closeRedisConnection, connectRedis, redisTargetOf } from "../store/redis-connection.js";
import { RefundStore } from "../store/refund-store.js";
import type { RefundContext, RefundSettings } from "./context.js";
import { attachDurabilityMetrics } from "./durability-metrics.js";
import { createPollProcessor } from "./poll-refund.js";
import { createRateLimiter } from "./rate-limiter.js";
import type { RefundMetrics } from "./metrics.js";
import { Reconciler, type ReconcilerOptions } from "./reconciler.js";
import { deriveRecoveryTiming, type RecoveryTiming } from "./recovery-time.js";
import { capRetryAfterMs, DEFAULT_SUBMIT_BACKOFF, submitBackoffDelayMs } from "./retry-policy.js";
import { createSubmitProcessor, SubmitRetryError } from "./submit-refund.js";

export interface StartRefundWorkersOptions {
  config: Config;
  logger?: Logger;
  /** The GatePay client; built from `config.gatepay` when absent. */
  client?: GatePayClient;
  /** Overrides of the settings derived from config (tests, demo). */
  settings?: Partial<RefundSettings>;
  reconciler?: ReconcilerOptions;
  /** Identifies this process in leases and logs; default a random UUID. */
  workerId?: string;
  /** BullMQ stalled-job check interval, ms (default `config.worker.stalledIntervalMs`). */
  stalledIntervalMs?: number;
  /** BullMQ job lock duration, ms (default `config.worker.lockDurationMs`). */
  lockDurationMs?: number;
  /**
   * Metrics to feed: submit and poll outcomes, final states, waits for the
   * `GATEPAY_MAX_RPS` budget, and GatePay latency through the client built here (a
   * `client` passed in must carry `metrics.gatepayObserver`).
   */
  metrics?: RefundMetrics;
  /**
   * BullMQ's OpenTelemetry integration on the queues and workers (a CONSUMER span per job,
   * under the span that added it); default `config.tracing.enabled`. Spans go to the
   * OpenTelemetry SDK the process registers.
   */
  tracing?: boolean;
  /** Overrides of the durability monitor's options (tests: re-check interval). */
  durability?: Partial<Pick<DurabilityMonitorOptions, "recheckIntervalMs">>;
}

export interface RefundWorkers {
  context: RefundContext;
  /** BullMQ's lock and stalled-check settings and the submit lease, as derived. */
  recovery: RecoveryTiming;
  submitWorker: Worker;
  pollWorker: Worker;
  reconciler: Reconciler;
  store: RefundStore;
  /** The durability posture and barrier of this process (README "Durability"). */
  durability: DurabilityMonitor;
  /** True while both workers run. */
  isRunning(): boolean;
  /** Resolves once both workers are connected and fetching jobs. */
  waitUntilReady(): Promise<void>;
  /** Drains in-flight jobs, then closes every connection. Idempotent. */
  close(): Promise<void>;
  /**
   * Every shard's workers, in shard order (QUEUE_SHARDS; README "Scaling out"). The
   * fields above are shard 0's.
   */
  shards?: readonly RefundWorkers[];
  /** The context of the shard holding `refundRequestId` (webhooks), or null when none does. */
  contextOf?: (refundRequestId: string) => Promise<RefundContext | null>;
}

/** The GatePay client from config; `observer` sees every HTTP attempt (metrics). */
export function buildClient(
  config: Config,
  observer?: GatePayClientOptions["observer"],
): GatePayClient {
  const { clientId, secretKey, baseUrl, onBehalfOf, timeoutMs, httpClient } = config.gatepay;
  if (!clientId || !secretKey) {
    throw new Error("GATEPAY_CLIENT_ID and GATEPAY_SECRET_KEY are required to run workers");
  }
  const options: GatePayClientOptions = {
    baseUrl,
    clientId,
    secretKey,
    onBehalfOf,
    timeoutMs,
    httpClient,
  };
  if (observer) options.observer = observer;
  return new GatePayClient(options);
}

export function settingsFromConfig(
  config: Config,
  overrides: Partial<RefundSettings> = {},
): RefundSettings {
  return {
    submitMaxAttempts: config.worker.submitMaxAttempts,
    timeoutMs: config.gatepay.timeoutMs,
    // The send deadline is the lease's end minus this: room for an abort to land and
    // for the lease fence (a lease that took over half of it to land sends nothing).
    leaseMarginMs: 2_000,
    unknownOutcomeGraceMs: config.gatepay.lookupGraceMs,
    backoff: { ...DEFAULT_SUBMIT_BACKOFF },
    poll: { ...config.poll },
    ...overrides,
  };
}

/** The shard one set of workers serves. */
export interface WorkerShard {
  /** The shard's key prefix (with one shard, the deployment prefix). */
  prefix: string;
  /** The deployment prefix: global keys such as the rate limiter's. */
  basePrefix: string;
  /** Appended to worker names (`-s<shard>`; empty with one shard). */
  label: string;
  /** Concurrency of this shard's submit and poll workers; default WORKER_CONCURRENCY. */
  concurrency?: number;
}

/**
 * Submit and poll workers and a reconciler for one shard, on a connection of their own.
 * {@link startRefundWorkers} starts one per shard.
 */
export async function startShardWorkers(
  options: StartRefundWorkersOptions,
  shard: WorkerShard,
): Promise<RefundWorkers> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const client = options.client ?? buildClient(config, options.metrics?.gatepayObserver);
  const settings = settingsFromConfig(config, options.settings);
  const recovery = deriveRecoveryTiming({
    lockDurationMs: options.lockDurationMs ?? config.worker.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs ?? config.worker.stalledIntervalMs,
    timeoutMs: settings.timeoutMs,
    leaseMarginMs: settings.leaseMarginMs,
  });
  settings.leaseMs ??= recovery.leaseMs;
  const workerId = options.workerId ?? randomUUID();

  const connection = connectRedis(redisTargetOf(config), {
    maxRetriesPerRequest: null,
    lazyConnect: false,
  });
  const store = new RefundStore(connection, shard.prefix);
  // Refuses to start on a Redis that may evict records or cannot give the mode asked for.
  let durability: DurabilityMonitor;
  try {
    durability = await DurabilityMonitor.start({
      redis: connection,
      markerKey: store.keys.durabilityMarker,
      mode: config.durability.mode,
      timeoutMs: config.durability.timeoutMs,
      logger,
      ...options.durability,
    });
  } catch (err) {
    connection.disconnect();
    throw err;
  }
  const telemetry = createQueueTelemetry(options.tracing ?? config.tracing.enabled);
  const queues = createRefundQueues(connection, shard.prefix, telemetry);
  const limiter = createRateLimiter(
    // One GATEPAY_MAX_RPS budget for every shard: the key is under the deployment prefix.
    new RateLimitStore(connection, refundKeys(shard.basePrefix).rateLimit),
    config.gatepay.maxRps,
  );
  const context: RefundContext = {
    store,
    queues,
    client,
    // Timed only under a cap: without one every wait is zero and the histogram is noise.
    limiter:
      options.metrics && config.gatepay.maxRps !== undefined
        ? options.metrics.timeRateLimiter(limiter)
        : limiter,
    durability,
    onSendWithheld: () => durability.noteSendWithheld(),
    logger,
    settings,
    workerId,
    now: Date.now,
    random: Math.random,
  };
  const { metrics } = options;
  if (metrics) context.observeAttention = (code) => metrics.observeAttention(code);

  const common = {
    connection,
    prefix: shard.prefix,
    ...(telemetry ? { telemetry } : {}),
    concurrency: shard.concurrency ?? config.worker.concurrency,
    maxStalledCount: recovery.maxStalledCount,
    stalledInterval: recovery.stalledIntervalMs,
    lockDuration: recovery.lockDurationMs,
    autorun: true,
  };
  const submitWorker = new Worker(QUEUE_NAMES.submit, createSubmitProcessor(context), {
    ...common,
    name: `submit-${workerId}${shard.label}`,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, err?: Error) => {
        const asked = err instanceof SubmitRetryError ? err.retryAfterMs : undefined;
        const maxMs = settings.retryAfterMaxMs ?? settings.poll.maxDelayMs;
        const { retryAfterMs, capped } = capRetryAfterMs(asked, maxMs);
        if (capped) {
          metrics?.observeRetryAfterCapped();
          logger.warn(
            { retryAfterMs: asked, cappedToMs: maxMs },
            "Retry-After longer than POLL_MAX_DELAY_MS; capped",
          );
        }
        if (type !== SUBMIT_BACKOFF_TYPE) return settings.backoff.baseMs;
        return submitBackoffDelayMs(
          attemptsMade,
          { ...settings.backoff, retryAfterMs },
          context.random,
        );
      },
    },
  });
  const pollWorker = new Worker(QUEUE_NAMES.poll, createPollProcessor(context), {
    ...common,
    name: `poll-${workerId}${shard.label}`,
  });
  // One reporter for every connection of this process: a Redis that is down (or refuses
  // the password) makes each of them fail every few hundred milliseconds; the log gets
  // one line per backoff step, without command arguments (src/logger.ts).
  const redisProblems = createRedisProblemReporter(logger, { bindings: { component: "redis" } });
  connection.on("error", (err: unknown) => redisProblems.report(err));
  connection.on("ready", () => redisProblems.recovered());
  for (const q of [queues.submit, queues.poll]) {
    // Without a listener BullMQ prints connection errors (a Redis restart) to the console.
    q.on("error", (err) => redisProblems.report(err));
  }
  for (const w of [submitWorker, pollWorker]) {
    // A worker "error" event without a listener would crash the process (EventEmitter).
    const workerErrors = createRedisProblemReporter(logger, {
      message: "worker error",
      bindings: { worker: w.name },
    });
    w.on("error", (err) => workerErrors.report(err));
    w.on("failed", (job, err) => {
      if (job && !(err instanceof SubmitRetryError)) {
        logger.debug({ jobId: job.id, err: { message: err.message } }, "job failed");
      }
    });
  }

  const detachMetrics = options.metrics?.attachWorkers({ submitWorker, pollWorker, store });

  const reconciler = new Reconciler(context, options.reconciler);
  reconciler.start();

  let closing: Promise<void> | undefined;
  return Promise.resolve({
    context,
    recovery,
    submitWorker,
    pollWorker,
    reconciler,
    store,
    durability,
    isRunning: () => submitWorker.isRunning() && pollWorker.isRunning(),
    async waitUntilReady() {
      await Promise.all([submitWorker.waitUntilReady(), pollWorker.waitUntilReady()]);
    },
    close() {
      closing ??= (async () => {
        await reconciler.stop();
        await Promise.all([submitWorker.close(), pollWorker.close()]);
        detachMetrics?.();
        await queues.close();
        await durability.close();
        await closeRedisConnection(connection);
        // The client built here owns its keep-alive pool; a client given in is the caller's.
        if (!options.client) await client.close();
      })();
      return closing;
    },
  });
}

/**
 * The workers of one process over every shard (QUEUE_SHARDS, README "Scaling out"): one
 * submit worker, one poll worker and one reconciler per shard, each under the shard's
 * hash tag, so on Redis Cluster each shard's queues and records sit on the master that
 * owns its slot. WORKER_CONCURRENCY is the process's: each shard's workers get
 * ceil(WORKER_CONCURRENCY / QUEUE_SHARDS).
 *
 * Before any worker starts, the shard count is checked against the one the deployment
 * stored: a process with another count would look for live refunds in the wrong shard.
 * With one shard the check runs beside the start (an unsharded deployment starts exactly
 * as before) and {@link RefundWorkers.waitUntilReady} reports a mismatch.
 */
export async function startRefundWorkers(
  options: StartRefundWorkersOptions,
): Promise<RefundWorkers> {
  const { config } = options;
  const count = config.queueShards;
  // The one prefix rule (src/domain/queue-prefix.ts), also for a Config built by hand.
  const basePrefix = normalizeQueuePrefix(config.queuePrefix);
  // Its own connection: the shard-count check, then the id → shard index for webhooks.
  const index = connectRedis(redisTargetOf(config), { maxRetriesPerRequest: null });
  index.on("error", () => undefined); // the shards' connections report Redis problems
  const shards = new RefundShards(index, basePrefix, count);
  const checking = shards.checkShardCount();
  checking.catch(() => undefined); // awaited below or by waitUntilReady
  const started: RefundWorkers[] = [];
  try {
    if (count > 1) await checking;
    for (let i = 0; i < count; i++) {
      started.push(
        await startShardWorkers(options, {
          prefix: shardPrefix(basePrefix, i, count),
          basePrefix,
          label: count === 1 ? "" : `-s${i}`,
          // WORKER_CONCURRENCY is the process's: split evenly over the shards.
          concurrency: Math.ceil(config.worker.concurrency / count),
        }),
      );
    }
  } catch (err) {
    await Promise.all(started.map((w) => w.close()));
    index.disconnect();
    throw err;
  }
  // Once per process (one registry), over every shard's monitor.
  if (options.metrics) {
    attachDurabilityMetrics(
      options.metrics.registry,
      started.map((w) => w.durability),
    );
  }
  const first = started[0]!;
  let closing: Promise<void> | undefined;
  return {
    ...first,
    shards: started,
    async contextOf(refundRequestId) {
      const shard = await shards.locate(refundRequestId);
      return shard === null ? null : (started[shard]?.context ?? null);
    },
    isRunning: () => started.every((w) => w.isRunning()),
    async waitUntilReady() {
      await checking;
      await Promise.all(started.map((w) => w.waitUntilReady()));
    },
    close() {
      closing ??= (async () => {
        await Promise.all(started.map((w) => w.close()));
        index.disconnect();
      })();
      return closing;
    },
  };
}
