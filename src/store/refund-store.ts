/**
 * The refund record store on Redis. Records are the source of truth; jobs only trigger
 * work. Every write is a compare-and-set on the record's version inside one Lua script
 * that also keeps the over-refund reservation, the batch counters, the in-flight index and
 * the event stream consistent with it (scripts.ts). Records are built only by the state
 * machine (domain/refund-state.ts); this module stores them.
 */
import { attentionReReserves, type RefundAttention } from "../domain/attention.js";
import { isClusterConnection, type RedisConnection } from "./redis-connection.js";
import type { SharedClockReading } from "../domain/grace-clock.js";
import { overRefundEvent } from "../domain/over-refund.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";
import {
  applyRefundEvent,
  createRefundRecord,
  FINAL_STATES,
  type RefundEvent,
  type RefundState,
} from "../domain/refund-state.js";
import { prepareCreates, type PreparedCreates } from "./create-item.js";
import { refundKeys, type RefundKeys } from "./keys.js";
import { LeaseLock } from "./lease-lock.js";
import { NotificationStore } from "./notification-store.js";
import {
  amountOfUnits,
  decodeRecord,
  newWriteId,
  orderAmountUnits,
  requestFingerprint,
  reservationField,
  reservedUnitsOf,
} from "./record-codec.js";
import type {
  BatchCounts,
  CreateOutcome,
  RefundStoreOptions,
  TransitionOptions,
  TransitionOutcome,
} from "./refund-store-types.js";
import {
  createFinalScript,
  createReservedScript,
  dropIfSettledScript,
  recordAttentionScript,
  readClockScript,
  readRecordClockScript,
  readTimeScript,
  transitionScript,
  type CreateReservedItem,
  type CreateReservedReply,
} from "./scripts.js";
import { transitionWrite } from "./transition-write.js";

export { requestFingerprint };
export type {
  BatchCounts,
  CreateOutcome,
  RefundDriver,
  RefundStoreOptions,
  TransitionOptions,
  TransitionOutcome,
} from "./refund-store-types.js";

export class RefundStore {
  readonly keys: RefundKeys;
  /** One reconciler run at a time across processes. */
  readonly reconcilerLock: LeaseLock;
  /** GatePay notifications for refunds this deployment does not know (notification-store.ts). */
  readonly notifications: NotificationStore;
  readonly #redis: RedisConnection;
  readonly #eventsMaxLen: number;
  readonly #stallWindowMs: number;
  readonly #now: () => number;

  constructor(redis: RedisConnection, prefix: string, options: RefundStoreOptions = {}) {
    this.keys = refundKeys(prefix);
    this.reconcilerLock = new LeaseLock(redis, this.keys.reconcilerLock);
    this.notifications = new NotificationStore(redis, this.keys);
    this.#redis = redis;
    this.#eventsMaxLen = options.eventsMaxLen ?? 100_000;
    this.#stallWindowMs = options.stallWindowMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The connection, for the other store/ modules (batch metadata) and tests. Code outside
   * store/ goes through the store's methods; only store/ sends commands to Redis.
   */
  get redis(): RedisConnection {
    return this.#redis;
  }

  /** The store's clock (epoch ms): record times and reconcile times. */
  now(): number {
    return this.#now();
  }

  /**
   * Now on Redis's clock (TIME), in epoch ms. Leases and grace periods are compared on
   * this one clock, so workers on machines whose clocks disagree still agree on who
   * holds a lease and when a "not found" may be believed. On a cluster, the clock of the
   * master holding this shard (a keyless TIME could go to any node).
   */
  async sharedNowMs(): Promise<number> {
    if (isClusterConnection(this.#redis)) {
      return readTimeScript.run(this.#redis, { key: this.keys.inflight });
    }
    const [seconds, micros] = await this.#redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** {@link sharedNowMs} and that server's epoch, read together (domain/grace-clock.ts). */
  async sharedClock(): Promise<SharedClockReading> {
    return readClockScript.run(this.#redis, { key: this.keys.inflight });
  }

  /**
   * {@link get} and {@link sharedClock} in one round trip (one script): the record first,
   * then the clock of the server that answered. A submit job decides on both, and when it
   * sends, its lease may be taken at this time (src/worker/submit-refund.ts).
   */
  async getWithClock(
    refundRequestId: string,
  ): Promise<{ record: RefundRecord | null; clock: SharedClockReading }> {
    const { json, clock } = await readRecordClockScript.run(this.#redis, {
      recordKey: this.keys.record(refundRequestId),
    });
    return { record: json === null ? null : decodeRecord(json), clock };
  }

  async get(refundRequestId: string): Promise<RefundRecord | null> {
    const json = await this.#redis.hget(this.keys.record(refundRequestId), "rec");
    return json === null ? null : decodeRecord(json);
  }

  /** Records for many ids in one round trip (null where missing). */
  async getMany(refundRequestIds: readonly string[]): Promise<(RefundRecord | null)[]> {
    if (refundRequestIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of refundRequestIds) pipeline.hget(this.keys.record(id), "rec");
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, json]) => {
      if (err) throw err;
      return typeof json === "string" ? decodeRecord(json) : null;
    });
  }

  /** A fresh `queued` record for a validated request (not stored). */
  newRecord(request: RefundRequestFields, batchId: string | undefined): RefundRecord {
    return createRefundRecord(request, this.#now(), batchId);
  }

  /**
   * Creates the record and reserves its amount against the order, atomically; or returns
   * the existing record (same request) or a conflict (different request); or, when the
   * order amount is known and the refund would exceed what is left, stores it as
   * `rejected` with `OVER_REFUND` and reserves nothing.
   */
  async create(request: RefundRequestFields, batchId?: string): Promise<CreateOutcome> {
    const [outcome] = await this.createMany([request], batchId);
    return outcome!;
  }

  /**
   * {@link create} for many, in order: one round trip, a script call per CREATE_GROUP (and
   * one per rare over-refund); `prepared`: this call's {@link prepareCreates}, built ahead.
   */
  async createMany(
    requests: readonly RefundRequestFields[],
    batchId?: string,
    prepared?: PreparedCreates,
  ): Promise<CreateOutcome[]> {
    if (requests.length === 0) return [];
    const { items, calls } = prepared ?? this.prepareCreates(requests, batchId);
    createReservedScript.define(this.#redis);
    const pipeline = this.#redis.pipeline();
    for (const args of calls) createReservedScript.queueArgs(pipeline, args);
    const replies: CreateReservedReply[] = [];
    for (const [err, raw] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      replies.push(...createReservedScript.parse(raw as string[][]));
    }
    if (replies.length !== items.length) {
      throw new Error(`create: ${replies.length} replies for ${items.length} refunds`);
    }
    const out: CreateOutcome[] = [];
    for (let i = 0; i < items.length; i++) {
      out.push(await this.#interpretCreate(items[i]!, replies[i]!));
    }
    return out;
  }

  /**
   * What {@link createMany} sends for `requests`, built without touching Redis (records,
   * fingerprints, the scripts' arguments): a bulk enqueue builds the next chunk's while
   * Redis runs this one's.
   */
  prepareCreates(requests: readonly RefundRequestFields[], batchId?: string): PreparedCreates {
    const reconcileAtMs = this.#now() + this.#stallWindowMs;
    const records = requests.map((r) => this.newRecord(r, batchId));
    return prepareCreates(records, reconcileAtMs, this.keys, this.#eventsMaxLen);
  }

  async #interpretCreate(
    input: CreateReservedItem,
    reply: CreateReservedReply,
  ): Promise<CreateOutcome> {
    switch (reply.outcome) {
      case "created":
        return { outcome: "created", record: input.record };
      case "existing":
      case "conflict":
        return { outcome: reply.outcome, record: decodeRecord(reply.json) };
      case "over":
        return this.#createOverRefund(input, reply.reservedUnits, reply.capUnits);
    }
  }

  /** Stores the refused refund as the state machine's `over-refund` outcome: final, no reservation. */
  async #createOverRefund(
    input: CreateReservedItem,
    reservedUnits: bigint,
    capUnits: bigint,
  ): Promise<CreateOutcome> {
    const queued = input.record;
    const event = overRefundEvent(queued.request, {
      orderAmount: amountOfUnits(capUnits),
      reserved: amountOfUnits(reservedUnits),
    });
    // Decided at the queued record's creation time: the refusal is part of creating it.
    const result = applyRefundEvent(queued, event, Date.parse(queued.createdAt));
    if (!result.changed)
      throw new Error(`over-refund refused by the state machine: ${result.reason}`);
    const record = result.record;
    const reply = await createFinalScript.run(this.#redis, {
      keys: this.keys,
      eventsMaxLen: this.#eventsMaxLen,
      record,
      fingerprint: input.fingerprint,
    });
    if (reply.outcome === "created") return { outcome: "over-refund", record };
    return { outcome: reply.outcome, record: decodeRecord(reply.json) };
  }

  /**
   * Applies `event` with compare-and-set, re-reading and re-deciding on a version race
   * (unless `retryOnConflict` is false). `current` skips the first read when the caller
   * just read the record. What `options` asks to write along (a driver, the order amount)
   * is written in the same script, atomically with the record.
   */
  async transition(
    refundRequestId: string,
    event: RefundEvent,
    current?: RefundRecord | null,
    options: TransitionOptions = {},
  ): Promise<TransitionOutcome> {
    let record = current ?? (await this.get(refundRequestId));
    let fresh = !current;
    for (let tries = 0; tries < 20; tries++) {
      if (!record) return { applied: false, record: null, reason: "no such refund" };
      const result = applyRefundEvent(record, event, this.#now());
      if (!result.changed) {
        // A refusal decided on the caller's copy may not hold on the stored record (a
        // report refused on a stale `submitting` copy applies to the stored `accepted`):
        // decide once more on a fresh read before dropping the event.
        if (fresh || options.retryOnConflict === false) {
          return { applied: false, record, reason: result.reason };
        }
        record = await this.get(refundRequestId);
        fresh = true;
        continue;
      }
      // A fresh write id per write: the compare-and-set checks it with the version. Set on
      // the state machine's new record (a fresh object only this call holds) rather than a
      // copy of it: the same keys in the same order, one record copy less per write.
      const next: RefundRecord = result.record;
      next.writeId = newWriteId();
      if (result.attention) {
        if (await this.#recordAttention(record, next, result.attention)) {
          return { applied: true, record: next, previous: record, attention: result.attention };
        }
      } else {
        const write = transitionWrite(record, next, options, {
          keys: this.keys,
          eventsMaxLen: this.#eventsMaxLen,
          stallWindowMs: this.#stallWindowMs,
          nowMs: this.#now(),
        });
        if (await transitionScript.run(this.#redis, write.input)) {
          return { applied: true, record: next, previous: record, ...write.written };
        }
      }
      // A decision taken on the old version (such as "nobody holds the submit lease") may
      // not hold any more: callers that need that say retryOnConflict: false and decide anew.
      if (options.retryOnConflict === false) {
        return { applied: false, record: await this.get(refundRequestId), reason: "conflict" };
      }
      record = await this.get(refundRequestId);
      fresh = true;
    }
    throw new Error(`refund ${refundRequestId}: gave up after 20 concurrent-write retries`);
  }

  /** Stores a noted contradiction (recordAttention-4.lua); false when the version moved. */
  #recordAttention(
    previous: RefundRecord,
    next: RefundRecord,
    attention: RefundAttention,
  ): Promise<boolean> {
    return recordAttentionScript.run(this.#redis, {
      keys: this.keys,
      eventsMaxLen: this.#eventsMaxLen,
      previous,
      next,
      reReserveUnits: attentionReReserves(attention.code)
        ? reservedUnitsOf(next.request)
        : undefined,
      reservationField: reservationField(next.request),
    });
  }

  /**
   * Refunds whose terminal record GatePay contradicts (the attention index, newest
   * first): what an operator must settle by hand.
   */
  async listAttention(options: { limit?: number } = {}): Promise<RefundRecord[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    const ids = await this.#redis.zrevrange(this.keys.attention, 0, limit - 1);
    const records = await this.getMany(ids);
    return records.filter((r): r is RefundRecord => r !== null);
  }

  /**
   * Notes which job drives the refund now and when it is due, so the reconciler can tell
   * a refund that is waiting from one whose job was lost. One round trip.
   */
  async setDriver(refundRequestId: string, jobId: string, dueAtMs: number): Promise<void> {
    // Two independent, idempotent writes: a pipeline, not a transaction (MULTI/EXEC would
    // add two commands per poll for no gain).
    const results = await this.#redis
      .pipeline()
      .hset(this.keys.record(refundRequestId), "job", jobId)
      .zadd(this.keys.inflight, "XX", String(dueAtMs + this.#stallWindowMs), refundRequestId)
      .exec();
    for (const [err] of results ?? []) if (err) throw err;
  }

  /** The job id last noted by {@link setDriver}. */
  async getDriver(refundRequestId: string): Promise<string | null> {
    return this.#redis.hget(this.keys.record(refundRequestId), "job");
  }

  /** Non-final refunds whose reconcile time has passed (oldest first). */
  async overdue(nowMs: number, limit: number): Promise<string[]> {
    return this.#redis.zrangebyscore(this.keys.inflight, "-inf", String(nowMs), "LIMIT", 0, limit);
  }

  /** Removes a refund from the in-flight index if (atomically) it is gone or final. */
  async dropIfSettled(refundRequestId: string): Promise<boolean> {
    return dropIfSettledScript.run(this.#redis, {
      keys: this.keys,
      refundRequestId,
      finalStates: FINAL_STATES,
    });
  }

  /** Pushes a refund's reconcile time out (the reconciler saw it is being driven). */
  async snooze(refundRequestId: string, untilMs: number): Promise<void> {
    await this.#redis.zadd(this.keys.inflight, "XX", String(untilMs), refundRequestId);
  }

  /**
   * Remembers an order's amount (and currency, when told) as GatePay reported it: the
   * over-refund guard's cap. Only GatePay sets it; a caller's `orderAmount` never does.
   */
  async learnOrderAmount(prepayId: string, amount: string, currency?: string): Promise<void> {
    const fields: Record<string, string> = { amount: String(orderAmountUnits(amount)) };
    if (currency) fields["ccy"] = currency.toUpperCase();
    await this.#redis.hset(this.keys.order(prepayId), fields);
  }

  /** The over-refund guard's view of an order: its amount (if known) and what is reserved. */
  async orderReservation(prepayId: string): Promise<{ orderAmount?: string; reserved: string }> {
    const [amount, reserved] = await this.#redis.hmget(
      this.keys.order(prepayId),
      "amount",
      "reserved",
    );
    const out: { orderAmount?: string; reserved: string } = {
      reserved: amountOfUnits(reserved ?? "0"),
    };
    if (amount != null) out.orderAmount = amountOfUnits(amount);
    return out;
  }

  /** Counts by state for a batch (empty object when unknown). */
  async batchCounts(batchId: string): Promise<BatchCounts> {
    const raw = await this.#redis.hgetall(this.keys.batch(batchId));
    const out: BatchCounts = {};
    for (const [k, v] of Object.entries(raw)) out[k as RefundState | "total"] = Number(v);
    return out;
  }
}
