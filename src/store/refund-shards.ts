/**
 * The refund store of a sharded deployment (QUEUE_SHARDS, README "Scaling out"): one
 * {@link RefundStore} per shard, each under its own hash tag (domain/shard.ts), and the
 * few global keys under the base prefix: the stored shard count and the id → shard index.
 *
 * A refund lives in the shard of its order (`shardOf(prepayId)`), so an order's
 * over-refund reservation stays one script in one slot. The index lets a lookup by
 * `refundRequestId` alone find the shard; it is written before the record, so a record
 * is never without its index entry. With one shard there is no index and no stored count:
 * every call goes to the one store under the base prefix, with the same keys and commands
 * as an unsharded deployment.
 */
import { ShardCountMismatchError } from "../domain/errors.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";
import { shardOf, shardPrefix } from "../domain/shard.js";
import { refundKeys, type RefundKeys } from "./keys.js";
import type { RedisConnection } from "./redis-connection.js";
import {
  RefundStore,
  type BatchCounts,
  type CreateOutcome,
  type RefundStoreOptions,
} from "./refund-store.js";
import { claimShardScript } from "./scripts.js";
import type { PreparedCreates } from "./create-item.js";

/** One entry of a shard's attention index (`<shard prefix>:attention`). */
export interface AttentionEntry {
  shard: number;
  refundRequestId: string;
  /** When it was flagged, epoch ms (the entry's score). */
  atMs: number;
}

export class RefundShards {
  /** QUEUE_SHARDS. */
  readonly count: number;
  /** Keys under the base prefix: shard count, index, batch metadata, rate limiter. */
  readonly baseKeys: RefundKeys;
  /** One store per shard, in shard order (with one shard: the store of the base prefix). */
  readonly stores: readonly RefundStore[];
  /** The store of the base prefix (with one shard, `stores[0]` itself). */
  readonly base: RefundStore;
  readonly #redis: RedisConnection;

  constructor(
    redis: RedisConnection,
    basePrefix: string,
    shards: number,
    options: RefundStoreOptions = {},
  ) {
    this.count = shards;
    this.#redis = redis;
    this.baseKeys = refundKeys(basePrefix);
    this.stores = Array.from(
      { length: shards },
      (_, i) => new RefundStore(redis, shardPrefix(basePrefix, i, shards), options),
    );
    this.base = shards === 1 ? this.stores[0]! : new RefundStore(redis, basePrefix, options);
  }

  /** The shard of every refund of the order `prepayId`. */
  shardOfOrder(prepayId: string): number {
    return shardOf(prepayId, this.count);
  }

  /**
   * Checks QUEUE_SHARDS against the count the deployment stored, and stores it on the
   * first start with more than one shard. A deployment that ran unsharded (its events
   * stream exists under the base prefix) counts as one shard.
   *
   * @throws ShardCountMismatchError when the counts differ.
   */
  async checkShardCount(): Promise<void> {
    const stored = await this.#redis.get(this.baseKeys.shardCount);
    if (stored !== null) {
      if (Number(stored) !== this.count)
        throw new ShardCountMismatchError(this.count, Number(stored));
      return;
    }
    if (this.count === 1) return;
    if ((await this.#redis.exists(this.baseKeys.events)) > 0) {
      throw new ShardCountMismatchError(this.count, 1);
    }
    if ((await this.#redis.set(this.baseKeys.shardCount, String(this.count), "NX")) === null) {
      await this.checkShardCount(); // another process stored it first
    }
  }

  /** The shard holding `refundRequestId` (null when the index has no entry). */
  async locate(refundRequestId: string): Promise<number | null> {
    if (this.count === 1) return 0;
    const shard = await this.#redis.get(this.baseKeys.shardOf(refundRequestId));
    return shard === null ? null : Number(shard);
  }

  /** The store holding `refundRequestId`, or null when no shard has it. */
  async storeOf(refundRequestId: string): Promise<RefundStore | null> {
    const shard = await this.locate(refundRequestId);
    return shard === null ? null : this.stores[shard]!;
  }

  /** The record, whatever shard it is in, or null. */
  async get(refundRequestId: string): Promise<RefundRecord | null> {
    return (await this.storeOf(refundRequestId))?.get(refundRequestId) ?? null;
  }

  /** Records for many ids (null where missing): one round trip per shard. */
  async getMany(refundRequestIds: readonly string[]): Promise<(RefundRecord | null)[]> {
    if (this.count === 1) return this.stores[0]!.getMany(refundRequestIds);
    if (refundRequestIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of refundRequestIds) pipeline.get(this.baseKeys.shardOf(id));
    const shards = ((await pipeline.exec()) ?? []).map(([err, shard]) => {
      if (err) throw err;
      return typeof shard === "string" ? Number(shard) : null;
    });
    return this.recordsOf(
      refundRequestIds.map((refundRequestId, i) => ({ shard: shards[i] ?? -1, refundRequestId })),
    );
  }

  /**
   * {@link RefundStore.create} in the request's shard, after claiming the id in the
   * index. An id the index gives to another shard is a different request (its order
   * differs): the stored record comes back as a `conflict`.
   */
  async create(request: RefundRequestFields, batchId?: string): Promise<CreateOutcome> {
    const shard = this.shardOfOrder(request.prepayId);
    const store = this.stores[shard]!;
    if (this.count === 1) return store.create(request, batchId);
    const owner = await this.#claim(request.refundRequestId, shard);
    if (typeof owner !== "number") return owner;
    return store.create(request, batchId);
  }

  /**
   * {@link create} for many requests: one round trip for the index, then one pipelined
   * round trip per shard. Results are in input order. `prepared`: this call's
   * {@link prepareCreates}, built ahead.
   */
  async createMany(
    requests: readonly RefundRequestFields[],
    batchId?: string,
    prepared?: PreparedCreates,
  ): Promise<CreateOutcome[]> {
    if (this.count === 1) return this.stores[0]!.createMany(requests, batchId, prepared);
    if (requests.length === 0) return [];
    claimShardScript.define(this.#redis);
    const pipeline = this.#redis.pipeline();
    const wanted = requests.map((request) => {
      const shard = this.shardOfOrder(request.prepayId);
      claimShardScript.queue(pipeline, {
        key: this.baseKeys.shardOf(request.refundRequestId),
        shard,
      });
      return shard;
    });
    const owners = ((await pipeline.exec()) ?? []).map(([err, raw]) => {
      if (err) throw err;
      return claimShardScript.parse(raw as string);
    });
    const out: CreateOutcome[] = new Array<CreateOutcome>(requests.length);
    await Promise.all(
      this.stores.map(async (store, shard) => {
        const at = wanted.flatMap((w, i) => (w === shard && owners[i] === shard ? [i] : []));
        if (at.length === 0) return;
        const created = await store.createMany(
          at.map((i) => requests[i]!),
          batchId,
        );
        at.forEach((i, j) => (out[i] = created[j]!));
      }),
    );
    for (let i = 0; i < requests.length; i++) {
      if (out[i] === undefined) out[i] = await this.create(requests[i]!, batchId);
    }
    return out;
  }

  /**
   * With one shard, what {@link createMany} will send for `requests`, built without
   * touching Redis (RefundStore.prepareCreates); undefined with several shards, whose
   * records are built once the id index says where each one goes.
   */
  prepareCreates(
    requests: readonly RefundRequestFields[],
    batchId?: string,
  ): PreparedCreates | undefined {
    return this.count === 1 ? this.stores[0]!.prepareCreates(requests, batchId) : undefined;
  }

  /** Counts by state of a batch, summed over every shard. */
  async batchCounts(batchId: string): Promise<BatchCounts> {
    const parts = await Promise.all(this.stores.map((store) => store.batchCounts(batchId)));
    const sum: BatchCounts = {};
    for (const part of parts) {
      for (const [state, n] of Object.entries(part)) {
        const k = state as keyof BatchCounts;
        sum[k] = (sum[k] ?? 0) + (n ?? 0);
      }
    }
    return sum;
  }

  /**
   * The attention index of every shard merged, newest first (ties as `ZREVRANGE` orders
   * them: the greater id first), at most `limit` entries.
   */
  async attentionIndex(limit: number): Promise<AttentionEntry[]> {
    const parts = await Promise.all(
      this.stores.map(async (store, shard) => {
        const flat = await this.#redis.zrevrange(store.keys.attention, 0, limit - 1, "WITHSCORES");
        const entries: AttentionEntry[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          entries.push({ shard, refundRequestId: flat[i]!, atMs: Number(flat[i + 1]) });
        }
        return entries;
      }),
    );
    return parts
      .flat()
      .sort((a, b) =>
        a.atMs !== b.atMs
          ? b.atMs - a.atMs
          : a.refundRequestId < b.refundRequestId
            ? 1
            : a.refundRequestId > b.refundRequestId
              ? -1
              : 0,
      )
      .slice(0, limit);
  }

  /**
   * {@link RefundStore.listAttention} over every shard: refunds whose terminal record
   * GatePay contradicts, newest first, `limit` 1–1000 (default 100).
   */
  async listAttention(options: { limit?: number } = {}): Promise<RefundRecord[]> {
    if (this.count === 1) return this.stores[0]!.listAttention(options);
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    const records = await this.recordsOf(await this.attentionIndex(limit));
    return records.filter((r): r is RefundRecord => r !== null);
  }

  /**
   * Records of refunds whose shard is known (null where missing), in input order: one
   * round trip per shard, no index look-up.
   */
  async recordsOf(
    entries: readonly { shard: number; refundRequestId: string }[],
  ): Promise<(RefundRecord | null)[]> {
    const out = new Array<RefundRecord | null>(entries.length).fill(null);
    await Promise.all(
      this.stores.map(async (store, shard) => {
        const at = entries.flatMap((e, i) => (e.shard === shard ? [i] : []));
        if (at.length === 0) return;
        const records = await store.getMany(at.map((i) => entries[i]!.refundRequestId));
        at.forEach((i, j) => (out[i] = records[j] ?? null));
      }),
    );
    return out;
  }

  /**
   * Claims `id` for `shard`: the shard when it is ours now, else the conflict outcome with
   * the record the owning shard holds. An owner with no record (a create that died between
   * the index and the record) gives the id up once.
   */
  async #claim(id: string, shard: number): Promise<number | CreateOutcome> {
    let stale: number | undefined;
    for (let tries = 0; tries < 3; tries++) {
      const owner = await claimShardScript.run(this.#redis, {
        key: this.baseKeys.shardOf(id),
        shard,
        staleShard: stale,
      });
      if (owner === shard) return shard;
      const record = await this.stores[owner]?.get(id);
      if (record) return { outcome: "conflict", record };
      stale = owner;
    }
    throw new Error(`refund ${id}: its shard is being claimed concurrently; retry the enqueue`);
  }
}
