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
 * After a failover the old barrier connection reaches a replica (`MOVED`): the barrier
 * fails (the caller retries), and the tag's monitor moves its barrier to the slot's new
 * master, reading that server's posture first (src/store/durability.ts, as the workers'
 * monitors do). A write whose tickets were taken before the move is refused as a timeout:
 * it may have gone to the old master.
 *
 * On a single Redis every tag is on the one server, and one `WAIT` covers every earlier
 * write of that server (replication is one ordered stream): there is exactly one monitor,
 * and every shard's barrier is that one. Same with one shard, whose tag is the base tag.
 */
import type { DurabilityMode, EffectiveDurability } from "../domain/durability.js";
import { DurabilityTimeoutError, RedisPostureError } from "../domain/durability-errors.js";
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
  readonly #options: ShardBarriersOptions;
  /** The monitor of each distinct marker key (one on a single Redis). */
  readonly #byKey: Map<string, DurabilityMonitor>;

  private constructor(options: ShardBarriersOptions, byKey: Map<string, DurabilityMonitor>) {
    this.#options = options;
    this.#byKey = byKey;
  }

  /**
   * Starts the monitors: one on a single Redis, else one per distinct marker key. Each
   * reads its server's posture; when any refuses, the others are closed and the refusal
   * ({@link RedisPostureError}) is thrown before any other failure.
   */
  static async start(options: ShardBarriersOptions): Promise<ShardBarriers> {
    if (!isClusterConnection(options.redis)) {
      const one = await startMonitor(options, options.baseMarkerKey);
      return new ShardBarriers(options, new Map([[options.baseMarkerKey, one]]));
    }
    const keys = [...new Set([options.baseMarkerKey, ...options.shardMarkerKeys])];
    const settled = await Promise.allSettled(keys.map((key) => startMonitor(options, key)));
    const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failures = settled.flatMap((s): unknown[] => (s.status === "rejected" ? [s.reason] : []));
    if (failures.length > 0) {
      await Promise.all(started.map((m) => m.close()));
      throw failures.find((e) => e instanceof RedisPostureError) ?? failures[0];
    }
    return new ShardBarriers(options, new Map(keys.map((k, i) => [k, started[i]!])));
  }

  /** The base server's mode in force (`auto` resolved). */
  get effective(): EffectiveDurability {
    return this.#monitor(this.#options.baseMarkerKey).effective;
  }

  /** Distinct monitors (so distinct barrier connections): 1 on a single Redis. */
  get monitorCount(): number {
    return this.#byKey.size;
  }

  /** One mark per monitor, taken before a write (the barrier refuses if a connection dropped). */
  tickets(): BarrierTickets {
    return new Map([...this.#byKey.values()].map((m) => [m, m.ticket()]));
  }

  /**
   * Resolves once every write acknowledged before this call is held on the base's server
   * and on the server of each of `shards`, the barriers running in parallel (one per
   * distinct monitor). Throws `DurabilityTimeoutError` when any of them did not hold.
   */
  async barrier(tickets: BarrierTickets, shards: Iterable<number>): Promise<void> {
    const keys = new Set([this.#keyOf(undefined)]);
    for (const shard of shards) keys.add(this.#keyOf(shard));
    await Promise.all([...keys].map((key) => this.#barrierOn(key, tickets)));
  }

  /** Closes every monitor. */
  async close(): Promise<void> {
    await Promise.all([...this.#byKey.values()].map((m) => m.close()));
  }

  /** The marker key of `shard`'s monitor (the base's for `undefined`, or on a single Redis). */
  #keyOf(shard: number | undefined): string {
    const { baseMarkerKey, shardMarkerKeys } = this.#options;
    if (shard === undefined) return baseMarkerKey;
    const key = shardMarkerKeys[shard];
    if (key === undefined) throw new RangeError(`no shard ${shard}`);
    return this.#byKey.has(key) ? key : baseMarkerKey;
  }

  #monitor(key: string): DurabilityMonitor {
    return this.#byKey.get(key)!;
  }

  async #barrierOn(key: string, tickets: BarrierTickets): Promise<void> {
    const monitor = this.#monitor(key);
    const ticket = tickets.get(monitor);
    if (ticket === undefined) {
      throw new DurabilityTimeoutError(monitor.effective, "no ticket taken before the write");
    }
    // A failed barrier on a cluster makes the monitor follow the slot's new master.
    await monitor.barrier(ticket);
  }
}

function startMonitor(
  options: ShardBarriersOptions,
  markerKey: string,
): Promise<DurabilityMonitor> {
  const { redis, mode, timeoutMs, logger } = options;
  return DurabilityMonitor.start({ redis, markerKey, mode, timeoutMs, logger });
}
