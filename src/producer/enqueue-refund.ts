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
  ValidationError,
  type FieldIssue,
} from "../domain/errors.js";
import { differingRequestFields, parseRefundRequest } from "../domain/refund-request.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";
import { createRefundQueues, type RefundQueues } from "../jobs/refund-queues.js";
import { schedulePoll } from "../jobs/schedule-poll.js";
import { scheduleSubmit } from "../jobs/schedule-submit.js";
import { connectRedis, type RedisConnection } from "../store/redis-connection.js";
import { RefundShards } from "../store/refund-shards.js";
import type { RefundStore, BatchCounts, CreateOutcome } from "../store/refund-store.js";

export interface RefundProducerOptions {
  /** Redis URL; default `redis://127.0.0.1:6379`. Ignored when `redis` is given. */
  redisUrl?: string;
  /** Redis Cluster seeds (REDIS_CLUSTER_NODES); `redisUrl` then gives credentials and TLS. */
  clusterNodes?: readonly { host: string; port: number }[] | undefined;
  /** QUEUE_SHARDS; default 1. */
  shards?: number;
  /** An ioredis connection to use (not closed by `close()`). */
  redis?: RedisConnection;
  /** Deployment prefix with a hash tag, as in config (`{gatepay}`). */
  prefix: string;
  /** BullMQ attempts of each submit job; default 8 (SUBMIT_MAX_ATTEMPTS). */
  submitMaxAttempts?: number;
  /** Poll deadline a replayed stuck refund gets, ms; default 24 h (POLL_DEADLINE_MS). */
  pollDeadlineMs?: number;
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

/** One item of {@link RefundProducer.enqueueBulk}, in input order. */
export type BulkEnqueueItem =
  | { index: number; outcome: "created" | "existing" | "over-refund"; record: RefundRecord }
  | { index: number; outcome: "conflict"; record: RefundRecord; error: IdempotencyConflictError }
  | { index: number; outcome: "invalid"; error: ValidationError };

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
   * Checks QUEUE_SHARDS against the deployment's stored count (once per producer; every
   * other method waits for it). Throws ShardCountMismatchError.
   */
  ready(): Promise<void>;
  /**
   * Enqueues one refund. Throws {@link ValidationError} (nothing stored),
   * {@link IdempotencyConflictError} (nothing changed) or {@link OverRefundError} (stored
   * as `rejected`/`OVER_REFUND`, nothing sent).
   */
  enqueue(input: unknown, options?: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Enqueues many refunds: all are validated first; valid ones are stored and queued in
   * chunks (one Redis round trip per chunk for records, one for jobs). Never throws for a
   * bad item: each gets its own outcome.
   */
  enqueueBulk(
    inputs: readonly unknown[],
    options?: EnqueueOptions & { chunkSize?: number },
  ): Promise<BulkEnqueueItem[]>;
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
  };
}

export function createRefundProducer(options: RefundProducerOptions): RefundProducer {
  const ownsRedis = !options.redis;
  const redis =
    options.redis ??
    connectRedis({
      url: options.redisUrl ?? "redis://127.0.0.1:6379",
      clusterNodes: options.clusterNodes,
    });
  const shards = new RefundShards(redis, options.prefix, options.shards ?? 1);
  const store = shards.base;
  const shardQueues = shards.stores.map((s) => createRefundQueues(redis, s.keys.prefix));
  const queues = shardQueues[0]!;
  const settings = { submitMaxAttempts: options.submitMaxAttempts ?? 8 };
  const pollDeadlineMs = options.pollDeadlineMs ?? 86_400_000;
  const jobCtxOf = (record: RefundRecord) => ({
    queues: shardQueues[shards.shardOfOrder(record.request.prepayId)]!,
    settings,
  });
  let checked: Promise<void> | undefined;
  // A mismatch is final; a failed read (Redis unreachable) is tried again next call.
  const ready = () =>
    (checked ??= shards.checkShardCount().catch((err: unknown) => {
      if (!(err instanceof ShardCountMismatchError)) checked = undefined;
      throw err;
    }));
  async function partsOf(refundRequestId: string): Promise<RefundShardParts | null> {
    await ready();
    const shard = await shards.locate(refundRequestId);
    return shard === null ? null : { store: shards.stores[shard]!, queues: shardQueues[shard]! };
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
    ready,

    async enqueue(input, opts = {}) {
      const request = parseRefundRequest(input);
      const batchId = checkBatchId(opts.batchId);
      await ready();
      return settle(request, await shards.create(request, batchId));
    },

    async enqueueBulk(inputs, opts = {}) {
      const batchId = checkBatchId(opts.batchId);
      const chunkSize = opts.chunkSize ?? 500;
      const out: BulkEnqueueItem[] = new Array<BulkEnqueueItem>(inputs.length);
      const valid: { index: number; request: RefundRequestFields }[] = [];
      inputs.forEach((input, index) => {
        try {
          valid.push({ index, request: parseRefundRequest(input) });
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          out[index] = { index, outcome: "invalid", error: err };
        }
      });
      if (valid.length > 0) await ready();
      for (let i = 0; i < valid.length; i += chunkSize) {
        const chunk = valid.slice(i, i + chunkSize);
        const results = await shards.createMany(
          chunk.map((c) => c.request),
          batchId,
        );
        const toQueue: RefundRecord[] = [];
        results.forEach((res, j) => {
          const { index, request } = chunk[j]!;
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
      }
      return out;
    },

    async getRefund(id) {
      await ready();
      return shards.get(id);
    },
    async getMany(ids) {
      await ready();
      return shards.getMany(ids);
    },
    async getBatch(id) {
      await ready();
      return shards.batchCounts(id);
    },

    async replay(refundRequestId) {
      const parts = await partsOf(refundRequestId);
      const record = (await parts?.store.get(refundRequestId)) ?? null;
      if (!parts || !record) throw new RefundNotFoundError(refundRequestId);
      const { store, queues } = parts;
      const jobCtx = { queues, settings };
      const t = await store.transition(
        refundRequestId,
        { type: "replayed", deadlineAtMs: store.now() + pollDeadlineMs },
        record,
      );
      if (!t.applied) {
        throw new Error(`refund ${refundRequestId} cannot be replayed: ${t.reason}`);
      }
      if (t.record.state === "queued") await scheduleSubmit(jobCtx, t.record);
      else await schedulePoll({ queues, store, now: () => store.now() }, t.record, 1, 0);
      return t.record;
    },

    async close() {
      await Promise.all(shardQueues.map((q) => q.close()));
      if (ownsRedis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

const BATCH_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

function checkBatchId(batchId: string | undefined): string | undefined {
  if (batchId === undefined) return undefined;
  if (!BATCH_ID_PATTERN.test(batchId)) {
    const issue: FieldIssue = {
      path: "batchId",
      message: "must be 1-64 characters of letters, digits, '.', '_' or '-'",
    };
    throw new ValidationError([issue]);
  }
  return batchId;
}
