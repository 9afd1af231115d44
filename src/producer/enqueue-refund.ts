/**
 * The producer: validate, reserve against over-refund, store the `queued` record, add the
 * submit job. Idempotent on refundRequestId, like a Stripe idempotency key: the same
 * request again returns the existing record and changes nothing; a different request
 * with the same id is an {@link IdempotencyConflictError}.
 *
 * The record is written before the job is added. If this process dies in between, the
 * record sits in the in-flight index with no job, and the reconciler adds it; a second
 * enqueue of the same request also re-adds it (BullMQ ignores a job id it already has).
 */
import type { Config } from "../config.js";
import {
  IdempotencyConflictError,
  OverRefundError,
  RefundNotFoundError,
  ShardCountMismatchError,
} from "../domain/errors.js";
import { normalizeQueuePrefix } from "../domain/queue-prefix.js";
import { differingRequestFields, parseRefundRequest } from "../domain/refund-request.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";
import type { DurabilityMode, EffectiveDurability } from "../domain/durability.js";
import { DurabilityTimeoutError, RedisPostureError } from "../domain/durability-errors.js";
import type { Logger } from "../logger.js";
import { createRefundQueues, type RefundQueues } from "../jobs/refund-queues.js";
import { schedulePoll } from "../jobs/schedule-poll.js";
import { scheduleSubmit } from "../jobs/schedule-submit.js";
import { createQueueTelemetry, withRefundSpan } from "../jobs/telemetry.js";
import { closeRedisConnection, connectRedis } from "../store/redis-connection.js";
import type { RedisConnection } from "../store/redis-connection.js";
import { RefundShards } from "../store/refund-shards.js";
import { checkBatchId } from "../domain/batch-id.js";
import { validChunk, type BulkEnqueueItem } from "./bulk-items.js";
import { overlapChunks } from "./overlap-chunks.js";
import type { RefundStore, BatchCounts, CreateOutcome } from "../store/refund-store.js";
import { ShardBarriers } from "./shard-barriers.js";

export interface RefundProducerOptions {
  /** Redis URL; default `redis://127.0.0.1:6379`. Ignored when `redis` is given. */
  redisUrl?: string;
  /** Redis Cluster seeds (REDIS_CLUSTER_NODES); `redisUrl` then gives credentials and TLS. */
  clusterNodes?: readonly { host: string; port: number }[] | undefined;
  /** QUEUE_SHARDS; default 1. */
  shards?: number;
  /** An ioredis connection to use (not closed by `close()`). */
  redis?: RedisConnection;
  /**
   * Deployment prefix, by the same rule as `QUEUE_PREFIX`: `gatepay` means `{gatepay}`, the
   * keys a worker with `QUEUE_PREFIX=gatepay` reads; a prefix that already has one `{…}`
   * hash tag is kept. A malformed one throws `QueuePrefixError` before anything connects.
   */
  prefix: string;
  /** BullMQ attempts of each submit job; default 8 (SUBMIT_MAX_ATTEMPTS). */
  submitMaxAttempts?: number;
  /** Poll deadline a replayed stuck refund gets, ms; default 24 h (POLL_DEADLINE_MS). */
  pollDeadlineMs?: number;
  /**
   * OpenTelemetry tracing (src/jobs/telemetry.ts): a `refund enqueue` span per enqueue and
   * BullMQ telemetry on the queues, so the jobs carry the trace to the workers. Spans go
   * to the OpenTelemetry SDK your process registers. Default false (`Config.tracing.enabled`
   * through {@link producerOptionsFromConfig}).
   */
  tracing?: boolean;
  /**
   * What must hold the record and job before an enqueue or replay is acknowledged
   * (REDIS_DURABILITY, REDIS_DURABILITY_TIMEOUT_MS); default `auto`, 1,000 ms.
   */
  durability?: { mode: DurabilityMode; timeoutMs: number };
  /** Logs the durability start-up line (and a refused posture). */
  logger?: Logger;
}

export interface EnqueueOptions {
  /** Counts this refund in a batch (only on creation: a known refund keeps its batch). */
  batchId?: string | undefined;
}

export interface EnqueueResult {
  record: RefundRecord;
  /** False when the refund already existed with the same request (nothing changed). */
  created: boolean;
}

export type { BulkEnqueueItem } from "./bulk-items.js";

/** A refund's shard: its store and its queues. */
export interface RefundShardParts {
  store: RefundStore;
  queues: RefundQueues;
}

export interface RefundProducer {
  /**
   * The store of the base prefix: every record with one shard; with several, batch
   * metadata only (records are in `shards.stores`; look refunds up with getRefund/getMany).
   */
  readonly store: RefundStore;
  /** Shard 0's queues (with one shard, the queues). */
  readonly queues: RefundQueues;
  /** Every shard's store (QUEUE_SHARDS, README "Scaling out"). */
  readonly shards: RefundShards;
  /** Every shard's queues, in shard order. */
  readonly shardQueues: readonly RefundQueues[];
  /** The store and queues of the shard holding `refundRequestId`, or null when none does. */
  partsOf(refundRequestId: string): Promise<RefundShardParts | null>;
  /** Records for many ids (null where missing), whatever their shards. */
  getMany(refundRequestIds: readonly string[]): Promise<(RefundRecord | null)[]>;
  /**
   * Enqueues one refund. Throws {@link ValidationError} (nothing stored),
   * {@link IdempotencyConflictError} (nothing changed) or {@link OverRefundError} (stored
   * as `rejected`/`OVER_REFUND`, nothing sent).
   */
  enqueue(input: unknown, options?: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Enqueues many refunds: each is validated before anything of it is stored (a chunk at
   * a time, overlapping the previous chunk's Redis work); valid ones are stored and queued in
   * chunks (one Redis round trip per chunk for records, one for jobs). Never throws for a
   * bad item: each gets its own outcome.
   */
  enqueueBulk(
    inputs: readonly unknown[],
    options?: EnqueueOptions & { chunkSize?: number },
  ): Promise<BulkEnqueueItem[]>;
  /**
   * Checks QUEUE_SHARDS against the deployment's stored count (ShardCountMismatchError),
   * reads the Redis posture and settles the durability mode (done by the first enqueue
   * otherwise). Throws `RedisPostureError` when Redis may evict records or cannot give
   * the mode asked for. Returns the mode in force.
   */
  ready(): Promise<EffectiveDurability>;
  getRefund(refundRequestId: string): Promise<RefundRecord | null>;
  getBatch(batchId: string): Promise<BatchCounts>;
  /**
   * Re-drives a `dead` refund (it looks GatePay up before any re-send) or a `stuck` one
   * (polled again with a new deadline). Other states are refused.
   */
  replay(refundRequestId: string): Promise<RefundRecord>;
  close(): Promise<void>;
}

export function producerOptionsFromConfig(config: Config): RefundProducerOptions {
  return {
    redisUrl: config.redisUrl,
    clusterNodes: config.redisClusterNodes,
    shards: config.queueShards,
    prefix: config.queuePrefix,
    submitMaxAttempts: config.worker.submitMaxAttempts,
    pollDeadlineMs: config.poll.deadlineMs,
    tracing: config.tracing.enabled,
    durability: config.durability,
  };
}

export function createRefundProducer(options: RefundProducerOptions): RefundProducer {
  const prefix = normalizeQueuePrefix(options.prefix);
  const ownsRedis = !options.redis;
  const redis =
    options.redis ??
    connectRedis({
      url: options.redisUrl ?? "redis://127.0.0.1:6379",
      clusterNodes: options.clusterNodes,
    });
  const shards = new RefundShards(redis, prefix, options.shards ?? 1);
  const store = shards.base;
  const tracing = options.tracing === true;
  const telemetry = createQueueTelemetry(tracing);
  const shardQueues = shards.stores.map((s) => createRefundQueues(redis, s.keys.prefix, telemetry));
  const queues = shardQueues[0]!;
  const settings = { submitMaxAttempts: options.submitMaxAttempts ?? 8 };
  const pollDeadlineMs = options.pollDeadlineMs ?? 86_400_000;
  const jobCtxOf = (record: RefundRecord) => ({
    queues: shardQueues[shards.shardOfOrder(record.request.prepayId)]!,
    settings,
  });
  let checked: Promise<void> | undefined;
  // A mismatch is final; a failed read (Redis unreachable) is tried again next call.
  const shardCountChecked = () =>
    (checked ??= shards.checkShardCount().catch((err: unknown) => {
      if (!(err instanceof ShardCountMismatchError)) checked = undefined;
      throw err;
    }));
  async function partsOf(refundRequestId: string): Promise<RefundShardParts | null> {
    await shardCountChecked();
    const shard = await shards.locate(refundRequestId);
    return shard === null ? null : { store: shards.stores[shard]!, queues: shardQueues[shard]! };
  }
  let barriers: Promise<ShardBarriers> | undefined;
  // A barrier per server taking our writes: one on a single Redis (shard-barriers.ts).
  const durability = (): Promise<ShardBarriers> => {
    barriers ??= ShardBarriers.start({
      redis,
      baseMarkerKey: store.keys.durabilityMarker,
      shardMarkerKeys: shards.stores.map((s) => s.keys.durabilityMarker),
      mode: options.durability?.mode ?? "auto",
      timeoutMs: options.durability?.timeoutMs ?? 1_000,
      logger: options.logger,
    });
    // A refused posture stays refused; a Redis that did not answer is asked again next time.
    barriers.catch((err: unknown) => {
      if (!(err instanceof RedisPostureError)) barriers = undefined;
    });
    return barriers;
  };
  const shardOfRecord = (record: RefundRecord) => shards.shardOfOrder(record.request.prepayId); // its order's
  /**
   * Runs `write`, then the barriers over it (the base's and `shard`'s), before the caller
   * hears of success (or of a stored refusal such as an over-refund): an acknowledged
   * enqueue must survive a failover. A conflict also waits on the conflicting record's
   * shard (another caller's write, maybe not durable yet). A barrier that does not hold
   * throws DurabilityTimeoutError (retryable: the same request again is idempotent).
   */
  async function durably<T>(shard: number, write: () => Promise<T>): Promise<T> {
    const gate = await durability();
    const tickets = gate.tickets();
    let result: T;
    try {
      result = await write();
    } catch (err) {
      if (err instanceof IdempotencyConflictError) {
        await gate.barrier(tickets, [shard, shardOfRecord(err.existing)]);
      } else if (err instanceof OverRefundError) {
        await gate.barrier(tickets, [shard]);
      }
      throw err;
    }
    await gate.barrier(tickets, [shard]);
    return result;
  }

  async function settle(
    request: RefundRequestFields,
    created: CreateOutcome,
  ): Promise<EnqueueResult> {
    switch (created.outcome) {
      case "created":
        await scheduleSubmit(jobCtxOf(created.record), created.record);
        return { record: created.record, created: true };
      case "existing":
        // A retry of the same enqueue: make sure its job exists (the first call may have
        // died between the record and the job); BullMQ ignores a job id it already holds.
        if (created.record.state === "queued") {
          await scheduleSubmit(jobCtxOf(created.record), created.record);
        }
        return { record: created.record, created: false };
      case "conflict":
        throw new IdempotencyConflictError(
          created.record,
          differingRequestFields(created.record.request, request),
        );
      case "over-refund":
        throw new OverRefundError(created.record);
    }
  }

  return {
    store,
    queues,
    shards,
    shardQueues,
    partsOf,

    async enqueue(input, opts = {}) {
      const request = parseRefundRequest(input);
      const batchId = checkBatchId(opts.batchId);
      await shardCountChecked();
      const enqueueDurably = () =>
        durably(shards.shardOfOrder(request.prepayId), async () =>
          settle(request, await shards.create(request, batchId)),
        );
      if (!tracing) return enqueueDurably();
      // The span is active while the submit job is added, so the job joins its trace.
      const attributes = { "gatepay.refund_request_id": request.refundRequestId };
      return withRefundSpan("refund enqueue", attributes, enqueueDurably);
    },

    async enqueueBulk(inputs, opts = {}) {
      const batchId = checkBatchId(opts.batchId);
      const chunkSize = opts.chunkSize ?? 500;
      const out: BulkEnqueueItem[] = new Array<BulkEnqueueItem>(inputs.length);
      const indexes = Array.from(inputs.keys());
      try {
        // A chunk is validated and its records built while Redis runs the previous one's:
        // each item is still checked before anything of it is stored, and a bad one is
        // only its own outcome, as if everything had been validated first.
        const prepare = (at: number[]) => {
          const valid = validChunk(inputs, at, out);
          const requests = valid.map((c) => c.request);
          const creates = valid.length > 0 ? shards.prepareCreates(requests, batchId) : undefined;
          return { chunk: valid, requests, creates };
        };
        await overlapChunks(
          indexes,
          chunkSize,
          async ({ chunk, requests, creates }, recordsWritten) => {
            if (chunk.length === 0) return recordsWritten();
            await shardCountChecked();
            // The next chunk's records are written while this one's jobs are added (in order).
            const gate = await durability();
            const tickets = gate.tickets();
            const results = await shards.createMany(requests, batchId, creates);
            recordsWritten();
            const toQueue: RefundRecord[] = [];
            // Every shard written in this chunk (or holding a record it answered with).
            const written = new Set<number>();
            results.forEach((res, j) => {
              const { index, request } = chunk[j]!;
              written.add(shards.shardOfOrder(request.prepayId));
              written.add(shardOfRecord(res.record));
              if (res.outcome === "conflict") {
                const error = new IdempotencyConflictError(
                  res.record,
                  differingRequestFields(res.record.request, request),
                );
                out[index] = { index, outcome: "conflict", record: res.record, error };
                return;
              }
              out[index] = { index, outcome: res.outcome, record: res.record };
              if (
                res.outcome === "created" ||
                (res.outcome === "existing" && res.record.state === "queued")
              ) {
                toQueue.push(res.record);
              }
            });
            await Promise.all(
              shardQueues.map((q, shard) =>
                scheduleSubmit(
                  { queues: q, settings },
                  toQueue.filter((r) => shards.shardOfOrder(r.request.prepayId) === shard),
                ),
              ),
            );
            await gate.barrier(tickets, written);
          },
          prepare,
        );
      } catch (err) {
        // What this call created before a barrier failed: a retry finds those `existing`.
        if (err instanceof DurabilityTimeoutError) {
          throw err.withCreated(
            out.flatMap((o) =>
              o?.outcome === "created" || o?.outcome === "over-refund"
                ? [{ index: o.index, overRefund: o.outcome === "over-refund" }]
                : [],
            ),
          );
        }
        throw err;
      }
      return out;
    },

    async ready() {
      await shardCountChecked();
      return (await durability()).effective;
    },

    async getRefund(id) {
      await shardCountChecked();
      return shards.get(id);
    },
    async getMany(ids) {
      await shardCountChecked();
      return shards.getMany(ids);
    },
    async getBatch(id) {
      await shardCountChecked();
      return shards.batchCounts(id);
    },

    async replay(refundRequestId) {
      const parts = await partsOf(refundRequestId);
      const record = (await parts?.store.get(refundRequestId)) ?? null;
      if (!parts || !record) throw new RefundNotFoundError(refundRequestId);
      return durably(shardOfRecord(record), () => replayRecord(parts, record));
    },

    async close() {
      if (barriers) await (await barriers.catch(() => undefined))?.close();
      await Promise.all(shardQueues.map((q) => q.close()));
      if (ownsRedis) await closeRedisConnection(redis);
    },
  };

  async function replayRecord(
    parts: RefundShardParts,
    record: RefundRecord,
  ): Promise<RefundRecord> {
    const { store, queues } = parts;
    const refundRequestId = record.refundRequestId;
    const t = await store.transition(
      refundRequestId,
      { type: "replayed", deadlineAtMs: store.now() + pollDeadlineMs },
      record,
    );
    if (!t.applied) throw new Error(`refund ${refundRequestId} cannot be replayed: ${t.reason}`);
    if (t.record.state === "queued") await scheduleSubmit({ queues, settings }, t.record);
    else await schedulePoll({ queues, store, now: () => store.now() }, t.record, 1, 0);
    return t.record;
  }
}
