/**
 * The producer's durability barriers, one per server that takes its writes (README
 * "Durability", "Scaling out"; issue 15).
 *
 * An enqueue writes under two hash tags when QUEUE_SHARDS > 1: the id → shard index under
 * the base tag, and the record, reservation and job under the shard's. On Redis Cluster
 * those tags may live on different masters, and `WAIT`/`WAITAOF` only count the replicas
 * and fsyncs of the server they run on: so there is one {@link DurabilityMonitor} for the
 * base tag and one per shard, each with its marker key under its own tag and its barrier
 * connection on the master owning that tag's slot (src/store/slot-node.ts). A write is
 * acknowledged once the base's barrier and the barrier of every shard it wrote have held.
 *
 * On a single Redis every tag is on the one server, and one `WAIT` covers every earlier
 * write of that server (replication is one ordered stream): there is exactly one monitor,
 * and every shard's barrier is that one. Same with one shard, whose tag is the base tag.
 */
import type { DurabilityMode, EffectiveDurability } from "../domain/durability.js";
import { RedisPostureError } from "../domain/durability-errors.js";
import type { Logger } from "../logger.js";
import { DurabilityMonitor } from "../store/durability.js";
import { isClusterConnection, type RedisConnection } from "../store/redis-connection.js";

export interface ShardBarriersOptions {
  redis: RedisConnection;
  /** The durability marker under the base tag. */
  baseMarkerKey: string;
  /** Every shard's durability marker, in shard order (under the shard's tag). */
  shardMarkerKeys: readonly string[];
  mode: DurabilityMode;
  timeoutMs: number;
  logger?: Logger | undefined;
}

/** Marks taken before a write, one per monitor (see {@link DurabilityMonitor.ticket}). */
export type BarrierTickets = ReadonlyMap<DurabilityMonitor, number>;

export class ShardBarriers {
  readonly #base: DurabilityMonitor;
  /** Each shard's monitor, in shard order (the base's itself where they share a server). */
  readonly #ofShard: readonly DurabilityMonitor[];
  readonly #all: readonly DurabilityMonitor[];

  private constructor(base: DurabilityMonitor, ofShard: readonly DurabilityMonitor[]) {
    this.#base = base;
    this.#ofShard = ofShard;
    this.#all = [...new Set([base, ...ofShard])];
  }

  /**
   * Starts the monitors: one on a single Redis, else one per distinct marker key. Each
   * reads its server's posture; when any refuses, the others are closed and the refusal
   * ({@link RedisPostureError}) is thrown before any other failure.
   */
  static async start(options: ShardBarriersOptions): Promise<ShardBarriers> {
    const { redis, baseMarkerKey, mode, timeoutMs, logger } = options;
    const start = (markerKey: string) =>
      DurabilityMonitor.start({ redis, markerKey, mode, timeoutMs, logger });
    if (!isClusterConnection(redis)) {
      const one = await start(baseMarkerKey);
      return new ShardBarriers(
        one,
        options.shardMarkerKeys.map(() => one),
      );
    }
    const keys = [...new Set([baseMarkerKey, ...options.shardMarkerKeys])];
    const settled = await Promise.allSettled(keys.map(start));
    const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failures = settled.flatMap((s): unknown[] => (s.status === "rejected" ? [s.reason] : []));
    if (failures.length > 0) {
      await Promise.all(started.map((m) => m.close()));
      throw failures.find((e) => e instanceof RedisPostureError) ?? failures[0];
    }
    const byKey = new Map(keys.map((k, i) => [k, started[i]!]));
    return new ShardBarriers(
      byKey.get(baseMarkerKey)!,
      options.shardMarkerKeys.map((k) => byKey.get(k)!),
    );
  }

  /** The base server's mode in force (`auto` resolved). */
  get effective(): EffectiveDurability {
    return this.#base.effective;
  }

  /** Distinct monitors (so distinct barrier connections): 1 on a single Redis. */
  get monitorCount(): number {
    return this.#all.length;
  }

  /** One mark per monitor, taken before a write (the barrier refuses if a connection dropped). */
  tickets(): BarrierTickets {
    return new Map(this.#all.map((m) => [m, m.ticket()]));
  }

  /**
   * Resolves once every write acknowledged before this call is held on the base's server
   * and on the server of each of `shards`, the barriers running in parallel (one per
   * distinct monitor). Throws `DurabilityTimeoutError` when any of them did not hold.
   */
  async barrier(tickets: BarrierTickets, shards: Iterable<number>): Promise<void> {
    const monitors = new Set([this.#base]);
    for (const shard of shards) {
      const m = this.#ofShard[shard];
      if (m === undefined) throw new RangeError(`no shard ${shard}`);
      monitors.add(m);
    }
    await Promise.all([...monitors].map((m) => m.barrier(tickets.get(m))));
  }

  /** Closes every monitor. */
  async close(): Promise<void> {
    await Promise.all(this.#all.map((m) => m.close()));
  }
}
