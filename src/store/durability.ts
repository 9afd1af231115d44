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
 */
import type { Redis as SingleRedis } from "ioredis";
import { closeRedisConnection, type RedisConnection as Redis } from "./redis-connection.js";
import { barrierConnectionFor } from "./slot-node.js";
import {
  barrierArgs,
  barrierHeld,
  describePosture,
  parseInfo,
  planDurability,
  postureFromInfo,
  postureProblems,
  serverEpoch,
  type DurabilityMode,
  type DurabilityPlan,
  type EffectiveDurability,
  type ServerPosture,
} from "../domain/durability.js";
import { DurabilityTimeoutError, RedisPostureError } from "../domain/durability-errors.js";
import type { Logger } from "../logger.js";

export interface DurabilityMonitorOptions {
  /** The connection the store writes on; the monitor opens a duplicate for its barriers. */
  redis: Redis;
  /** The marker key (the deployment's hash tag, so it lands where the records are). */
  markerKey: string;
  /** `REDIS_DURABILITY`; default `auto`. */
  mode?: DurabilityMode;
  /** `REDIS_DURABILITY_TIMEOUT_MS`: longest wait of one barrier; default 1,000. */
  timeoutMs?: number;
  /** How often the posture is read again, ms; default 15,000; 0 = never. */
  recheckIntervalMs?: number;
  logger?: Logger | undefined;
  /** Called when the server's run id or replication id changed (a restart or failover). */
  onEpochChange?: (previous: string, next: string) => void;
}

/** Reads the posture on `redis`: INFO, then CONFIG GET where allowed, COMMAND INFO WAITAOF. */
export async function readPosture(redis: Redis): Promise<ServerPosture> {
  const info = parseInfo(
    String(await redis.call("INFO", "server", "replication", "persistence", "memory")),
  );
  const config = async (name: string): Promise<string | undefined> => {
    try {
      const reply = (await redis.call("CONFIG", "GET", name)) as string[];
      return reply[1];
    } catch {
      // CONFIG may be renamed or refused (managed Redis): INFO memory has the policy.
      return undefined;
    }
  };
  const waitAofInfo = (await redis.call("COMMAND", "INFO", "WAITAOF")) as unknown[];
  return postureFromInfo(info, {
    maxmemoryPolicy: await config("maxmemory-policy"),
    appendfsync: await config("appendfsync"),
    hasWaitAof: Array.isArray(waitAofInfo) && waitAofInfo[0] != null,
  });
}

/**
 * The start-up lines already logged, per logger: one per distinct server (its epoch) and
 * plan, while a monitor that logged it is open. With QUEUE_SHARDS > 1 on one Redis every
 * shard's monitor reads the same server: the line is written once, not once per shard.
 */
const startLines = new WeakMap<Logger, Map<string, number>>();

export class DurabilityMonitor {
  readonly requested: DurabilityMode;
  readonly timeoutMs: number;
  readonly #redis: Redis;
  readonly #barrierRedis: SingleRedis;
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
  /** The start-up line this monitor holds in {@link startLines}, if any. */
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
    this.#barrierRedis.on("close", this.#onClose);
    // A reconnect may land on another server (a failover): read its identity at once.
    this.#barrierRedis.on("ready", this.#onReady);
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
    const barrierRedis = await barrierConnectionFor(options.redis, options.markerKey, {
      maxRetriesPerRequest: 1,
    });
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
    this.#barriers++;
    let reply: unknown;
    try {
      await this.#barrierRedis.incr(this.#markerKey);
      reply = await this.#barrierRedis.call(...barrierArgs(plan.barrier, this.timeoutMs));
    } catch (err) {
      throw new DurabilityTimeoutError(
        plan.effective,
        `the barrier failed (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    if (generation !== this.#generation) {
      throw new DurabilityTimeoutError(plan.effective, "the Redis connection dropped meanwhile");
    }
    if (!barrierHeld(plan.barrier, reply)) {
      throw new DurabilityTimeoutError(
        plan.effective,
        `${plan.barrier.command} answered ${JSON.stringify(reply)} after ${this.timeoutMs} ms`,
      );
    }
  }

  /**
   * Reads the posture again: `auto` follows the server (a replica joined or left); an
   * explicit mode keeps its barrier (which then times out, and nothing is sent); a
   * changed run or replication id is reported (grace clocks restart).
   */
  async recheck(): Promise<void> {
    if (this.#closed) return;
    const posture = await readPosture(this.#barrierRedis);
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
    if (plan.ok && plan.effective !== this.#plan.effective) {
      this.#plan = plan;
      this.#logPlan();
    }
  }

  /** The start-up line, unless an open monitor with the same logger said it of this server. */
  #logStartLine(): void {
    const logger = this.#logger;
    if (!logger) return;
    const key = `${this.epoch}|${this.requested}|${this.#plan.effective}`;
    let lines = startLines.get(logger);
    if (!lines) startLines.set(logger, (lines = new Map<string, number>()));
    const open = lines.get(key) ?? 0;
    lines.set(key, open + 1);
    this.#startLine = key;
    if (open === 0) this.#logPlan();
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
    const lines = this.#logger && startLines.get(this.#logger);
    if (lines && this.#startLine !== undefined) {
      const open = (lines.get(this.#startLine) ?? 1) - 1;
      if (open > 0) lines.set(this.#startLine, open);
      else lines.delete(this.#startLine);
    }
    this.#redis.off("close", this.#onClose);
    this.#barrierRedis.off("close", this.#onClose);
    this.#barrierRedis.off("ready", this.#onReady);
    // Never a bare QUIT: on a connection that is reconnecting (its server killed or failed
    // over) it would wait in the offline queue for a server that may never come back.
    await closeRedisConnection(this.#barrierRedis);
  }
}
