/**
 * The durability monitor: reads the Redis server's posture at start (and again every
 * `recheckIntervalMs`), refuses a posture a refund system must not run on, and runs the
 * barrier (`WAIT` / `WAITAOF`) that makes earlier writes durable before money moves or an
 * enqueue is acknowledged (README "Durability"; the decisions are in
 * src/domain/durability.ts).
 *
 * How one barrier covers a write made on another connection: `WAIT`/`WAITAOF` wait for
 * the replication offset of the calling connection's last write. The barrier connection
 * first writes a marker key (under the deployment's hash tag, so on the same server as the
 * records), then waits. Replication and the AOF are one ordered stream, so once the marker
 * is held, every write that was acknowledged before the marker was sent is held too.
 * Barriers asked for while one runs are served by the next round together (group commit):
 * one marker and one wait for many submits.
 *
 * A connection that dropped between a write and its barrier may have written to a server
 * that is gone (a failover): {@link DurabilityMonitor.ticket} taken before the write lets
 * {@link DurabilityMonitor.barrier} refuse (as a timeout) when either connection closed
 * in between.
 *
 * On Redis Cluster the barrier connection is on the master owning the marker's slot. After a
 * failover that server is a replica: a barrier fails (`MOVED`, `READONLY`, a dropped
 * connection) and a re-check reads role `slave`. Either makes the monitor follow the slot's
 * new master (src/store/slot-node.ts): it reads that server's posture first, then moves its
 * barrier there. Meanwhile every barrier fails as a timeout (nothing is sent), as does one
 * whose write came before the move (it may be on the old master). A replica's view never
 * re-plans `auto`, and the move itself never weakens the plan: a promoted master whose
 * replica has not re-attached yet makes barriers time out, and the next re-check decides.
 */
import type { Redis as SingleRedis } from "ioredis";
import {
  closeRedisConnection,
  isClusterConnection,
  type RedisConnection as Redis,
} from "./redis-connection.js";
import type { DurabilityMonitorOptions } from "./durability-options.js";
import { closeStartLine, openStartLine } from "./durability-start-lines.js";
import { barrierConnectionFor } from "./slot-node.js";
import { isMaster, openOnNewMaster, readPosture } from "./posture.js";
import {
  barrierArgs,
  barrierHeld,
  describePosture,
  durabilityCovers,
  planDurability,
  postureProblems,
  serverEpoch,
  type DurabilityMode,
  type DurabilityPlan,
  type EffectiveDurability,
  type ServerPosture,
} from "../domain/durability.js";
import { DurabilityTimeoutError, RedisPostureError } from "../domain/durability-errors.js";
import type { Logger } from "../logger.js";

/** The barrier connection fails fast: a barrier that cannot run is a timeout, not a wait. */
const BARRIER_OPTIONS = { maxRetriesPerRequest: 1 } as const;

export type { DurabilityMonitorOptions } from "./durability-options.js";

export { readPosture };

export class DurabilityMonitor {
  readonly requested: DurabilityMode;
  readonly timeoutMs: number;
  readonly #redis: Redis;
  #barrierRedis: SingleRedis;
  /** A move to the slot's new master under way (a cluster failover). */
  #following: Promise<void> | undefined;
  readonly #markerKey: string;
  readonly #logger: Logger | undefined;
  readonly #onEpochChange: ((previous: string, next: string) => void) | undefined;
  #plan: Extract<DurabilityPlan, { ok: true }>;
  #posture: ServerPosture;
  #generation = 0;
  #waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #barriers = 0;
  #withheld = 0;
  #closed = false;
  /** The start-up line this monitor holds (durability-start-lines.ts), if any. */
  #startLine: string | undefined;
  readonly #onClose = () => {
    this.#generation++;
  };

  private constructor(
    options: DurabilityMonitorOptions,
    barrierRedis: SingleRedis,
    posture: ServerPosture,
    plan: Extract<DurabilityPlan, { ok: true }>,
  ) {
    this.requested = options.mode ?? "auto";
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.#redis = options.redis;
    this.#barrierRedis = barrierRedis;
    this.#markerKey = options.markerKey;
    this.#logger = options.logger;
    this.#onEpochChange = options.onEpochChange;
    this.#posture = posture;
    this.#plan = plan;
    this.#redis.on("close", this.#onClose);
    this.#listen(barrierRedis);
  }

  #listen(barrierRedis: SingleRedis): void {
    barrierRedis.on("close", this.#onClose);
    // A reconnect may land on another server (a failover): read its identity at once.
    barrierRedis.on("ready", this.#onReady);
  }

  #unlisten(barrierRedis: SingleRedis): void {
    barrierRedis.off("close", this.#onClose);
    barrierRedis.off("ready", this.#onReady);
  }

  readonly #onReady = () => {
    void this.recheck().catch(() => undefined);
  };

  /**
   * Reads the posture, checks it and logs the one start-up line. Throws
   * {@link RedisPostureError} when eviction is on or the mode asked for is not available.
   */
  static async start(options: DurabilityMonitorOptions): Promise<DurabilityMonitor> {
    const mode = options.mode ?? "auto";
    // On Redis Cluster: a connection to the master owning the marker's slot (the shard's),
    // so WAIT/WAITAOF count that server's replicas and fsyncs (slot-node.ts).
    const barrierRedis = await barrierConnectionFor(
      options.redis,
      options.markerKey,
      BARRIER_OPTIONS,
    );
    barrierRedis.on("error", () => undefined); // reconnects on its own; barriers fail meanwhile
    try {
      const posture = await readPosture(barrierRedis);
      const plan = planDurability(mode, posture);
      const problems = postureProblems(posture);
      if (!plan.ok) problems.push(plan.reason);
      if (problems.length > 0 || !plan.ok) {
        options.logger?.error(describePosture(posture, plan), "Redis posture refused");
        throw new RedisPostureError(problems);
      }
      const monitor = new DurabilityMonitor(options, barrierRedis, posture, plan);
      monitor.#logStartLine();
      const every = options.recheckIntervalMs ?? 15_000;
      if (every > 0) {
        monitor.#timer = setInterval(() => void monitor.recheck().catch(() => undefined), every);
        monitor.#timer.unref();
      }
      return monitor;
    } catch (err) {
      barrierRedis.disconnect();
      throw err;
    }
  }

  /** What this process waits for now (`auto` resolved). */
  get effective(): EffectiveDurability {
    return this.#plan.effective;
  }

  get posture(): ServerPosture {
    return this.#posture;
  }

  /** The server's identity (run id and replication id) as last read. */
  get epoch(): string {
    return serverEpoch(this.#posture);
  }

  /** `host:port` the barrier connection goes to (on a cluster: the marker slot's master then). */
  get barrierAddress(): string {
    return `${this.#barrierRedis.options.host ?? ""}:${this.#barrierRedis.options.port ?? ""}`;
  }

  /** Barrier rounds run so far (each may cover many writes). */
  get barrierRounds(): number {
    return this.#barriers;
  }

  /** Sends withheld because a barrier did not hold (see {@link noteSendWithheld}). */
  get sendsWithheld(): number {
    return this.#withheld;
  }

  /** Counts one send withheld (the submit processor calls it; a metric reads it). */
  noteSendWithheld(): void {
    this.#withheld++;
  }

  /** A mark taken before a write; {@link barrier} refuses if a connection dropped since. */
  ticket(): number {
    return this.#generation;
  }

  /**
   * Resolves once every write acknowledged before this call is held as the mode requires;
   * at once in mode `none`. Throws {@link DurabilityTimeoutError} when the server did not
   * confirm within the timeout, or a connection dropped since `ticket` (the write may be
   * on a server that is gone).
   */
  async barrier(ticket?: number): Promise<void> {
    if (this.#plan.barrier === null) return;
    await new Promise<void>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#running) void this.#drain();
    });
    if (ticket !== undefined && ticket !== this.#generation) {
      throw new DurabilityTimeoutError(
        this.#plan.effective,
        "the Redis connection dropped between the write and its barrier",
      );
    }
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        // Everyone waiting now wrote before this round's marker: one round covers them all.
        const round = this.#waiting.splice(0);
        try {
          await this.#round();
          for (const w of round) w.resolve();
        } catch (err) {
          for (const w of round) w.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #round(): Promise<void> {
    const plan = this.#plan;
    if (plan.barrier === null) return;
    const generation = this.#generation;
    const redis = this.#barrierRedis;
    this.#barriers++;
    let reply: unknown;
    try {
      await redis.incr(this.#markerKey);
      reply = await redis.call(...barrierArgs(plan.barrier, this.timeoutMs));
    } catch (err) {
      // MOVED, READONLY or a dropped connection: on a cluster, the slot may have a new master.
      this.#follow();
      throw new DurabilityTimeoutError(
        plan.effective,
        `the barrier failed (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    if (generation !== this.#generation) {
      this.#follow();
      throw new DurabilityTimeoutError(plan.effective, "the Redis connection dropped meanwhile");
    }
    if (!barrierHeld(plan.barrier, reply)) {
      this.#follow();
      throw new DurabilityTimeoutError(
        plan.effective,
        `${plan.barrier.command} answered ${JSON.stringify(reply)} after ${this.timeoutMs} ms`,
      );
    }
  }

  /**
   * On a cluster, after a failed barrier or a re-check that found a replica: moves the
   * barrier to the slot's master when that is another server now. In the background, one
   * at a time; a failure leaves the barrier where it is until the next failure or re-check.
   */
  #follow(): void {
    if (this.#closed || this.#following || !isClusterConnection(this.#redis)) return;
    this.#following = this.#moveToNewMaster()
      .catch((err: unknown) => {
        const fields = { markerKey: this.#markerKey, err: { message: (err as Error).message } };
        this.#logger?.warn(fields, "durability barrier could not follow the slot's new master");
      })
      .finally(() => (this.#following = undefined));
  }

  async #moveToNewMaster(): Promise<void> {
    const previous = this.#barrierRedis;
    const address = this.barrierAddress;
    const moved = await openOnNewMaster(this.#redis, this.#markerKey, address, BARRIER_OPTIONS);
    if (moved === null) return;
    const { connection: next, posture } = moved;
    if (this.#closed) return next.disconnect();
    this.#unlisten(previous);
    this.#barrierRedis = next;
    this.#listen(next);
    // A write before the move may be on the old master: its barrier refuses (a timeout).
    this.#generation++;
    this.#adopt(posture, false);
    this.#logger?.warn(
      {
        markerKey: this.#markerKey,
        previous: address,
        next: this.barrierAddress,
        durability: this.effective,
      },
      "durability barrier follows the slot's new master",
    );
    await closeRedisConnection(previous);
  }

  /**
   * Reads the posture again: `auto` follows the server (a replica joined or left); an
   * explicit mode keeps its barrier (which then times out, and nothing is sent); a
   * changed run or replication id is reported (grace clocks restart).
   */
  async recheck(): Promise<void> {
    if (this.#closed) return;
    const redis = this.#barrierRedis;
    const posture = await readPosture(redis).catch((err: unknown) => {
      this.#follow(); // the master may be gone (a failover)
      throw err;
    });
    if (this.#closed || redis !== this.#barrierRedis) return; // moved meanwhile
    if (!isMaster(posture)) {
      // Demoted (a failover): its view says nothing of the master. The plan stays; on a
      // cluster the barrier follows the slot's new master.
      this.#logger?.error(
        { markerKey: this.#markerKey, problems: postureProblems(posture) },
        "the durability barrier's server is no longer a master",
      );
      this.#follow();
      return;
    }
    this.#adopt(posture, true);
  }

  /** A master's posture: `auto` follows it (to a weaker mode only when `mayWeaken`). */
  #adopt(posture: ServerPosture, mayWeaken: boolean): void {
    const before = this.epoch;
    this.#posture = posture;
    const after = serverEpoch(posture);
    if (before !== after) {
      this.#logger?.warn(
        { previous: before, next: after, event: "clock-restarted" },
        "Redis run id or replication id changed (restart or failover): grace clocks restart",
      );
      this.#onEpochChange?.(before, after);
    }
    const problems = postureProblems(posture);
    if (problems.length > 0) {
      this.#logger?.error({ problems }, "Redis posture is no longer fit to hold refunds");
    }
    if (this.requested !== "auto") return;
    const plan = planDurability("auto", posture);
    if (!plan.ok || plan.effective === this.#plan.effective) return;
    if (!mayWeaken && !durabilityCovers(plan.effective, this.#plan.effective)) return;
    this.#plan = plan;
    this.#logPlan();
  }

  /** The start-up line, unless an open monitor with the same logger said it of this server. */
  #logStartLine(): void {
    const logger = this.#logger;
    if (!logger) return;
    this.#startLine = `${this.epoch}|${this.requested}|${this.#plan.effective}`;
    if (openStartLine(logger, this.#startLine)) this.#logPlan();
  }

  #logPlan(): void {
    const fields = { ...describePosture(this.#posture, this.#plan), address: this.barrierAddress };
    if (this.#plan.canLose !== undefined) {
      this.#logger?.warn(
        { ...fields, canLose: this.#plan.canLose },
        `durability ${this.#plan.effective}: ${this.#plan.canLose}`,
      );
    } else {
      this.#logger?.info(fields, `durability ${this.#plan.effective}`);
    }
  }

  /** Stops the re-checks and closes the barrier connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#following;
    if (this.#logger && this.#startLine !== undefined) {
      closeStartLine(this.#logger, this.#startLine);
    }
    this.#redis.off("close", this.#onClose);
    this.#unlisten(this.#barrierRedis);
    // Never a bare QUIT: on a connection that is reconnecting (its server killed or failed
    // over) it would wait in the offline queue for a server that may never come back.
    await closeRedisConnection(this.#barrierRedis);
  }
}
