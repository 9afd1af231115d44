/**
 * The refund record store on Redis. Records are the source of truth; jobs only trigger
 * work. Every write is a compare-and-set on the record's version inside one Lua script
 * that also keeps the over-refund reservation, the batch counters, the in-flight index and
 * the event stream consistent with it (lua.ts).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { amountToUnits, compareAmounts, normalizeAmount, unitsToAmount } from "../domain/amount.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";
import { requestFingerprintFields, reservedAmountOf } from "../domain/refund-request.js";
import {
  applyRefundEvent,
  FINAL_STATES,
  isFinalState,
  type RefundEvent,
  type RefundState,
} from "../domain/refund-state.js";
import { refundKeys, type RefundKeys } from "./keys.js";
import { CREATE_FINAL, CREATE_RESERVED, DROP_IF_SETTLED, TRANSITION } from "./lua.js";

/** Micro-units: GatePay's request precision (6 decimals, gatepay-api.md §4.1). */
const UNIT_SCALE = 6;

interface StoreCommands {
  gprCreateReserved(...args: string[]): Promise<string[]>;
  gprCreateFinal(...args: string[]): Promise<string[]>;
  gprTransition(...args: string[]): Promise<number>;
  gprDropIfSettled(...args: string[]): Promise<number>;
}

export interface RefundStoreOptions {
  /** Approximate cap of the events stream (XADD MAXLEN ~). Default 100,000. */
  eventsMaxLen?: number;
  /**
   * How long a non-final refund may go without any write before the reconciler looks at
   * it. Default 5 minutes.
   */
  stallWindowMs?: number;
  now?: () => number;
}

export type CreateOutcome =
  | { outcome: "created"; record: RefundRecord }
  | { outcome: "existing"; record: RefundRecord }
  | { outcome: "conflict"; record: RefundRecord }
  | { outcome: "over-refund"; record: RefundRecord };

export type TransitionOutcome =
  | { applied: true; record: RefundRecord; previous: RefundRecord }
  | { applied: false; record: RefundRecord | null; reason: string };

/** Batch counts by state, plus `total`. */
export type BatchCounts = Partial<Record<RefundState | "total", number>>;

/** A stable hash of what GatePay would be asked: equal requests are idempotent replays. */
export function requestFingerprint(request: RefundRequestFields): string {
  const fields = requestFingerprintFields(request);
  const canonical = JSON.stringify(
    Object.keys(fields)
      .sort()
      .map((k) => [k, fields[k]]),
  );
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 32);
}

/** Floors an order amount to micro-units: a conservative cap when it has more decimals. */
function orderAmountUnits(amount: string): bigint {
  const normalized = normalizeAmount(amount);
  const [whole = "0", frac = ""] = normalized.split(".");
  return BigInt(whole) * 10n ** BigInt(UNIT_SCALE) + BigInt((frac + "000000").slice(0, UNIT_SCALE));
}

export class RefundStore {
  readonly keys: RefundKeys;
  readonly #redis: Redis & StoreCommands;
  readonly #maxLen: string;
  readonly #stallWindowMs: number;
  readonly #now: () => number;

  constructor(redis: Redis, prefix: string, options: RefundStoreOptions = {}) {
    this.keys = refundKeys(prefix);
    defineCommands(redis);
    this.#redis = redis as Redis & StoreCommands;
    this.#maxLen = String(options.eventsMaxLen ?? 100_000);
    this.#stallWindowMs = options.stallWindowMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  get redis(): Redis {
    return this.#redis;
  }

  now(): number {
    return this.#now();
  }

  /**
   * Now on Redis's clock (TIME), in epoch ms. Leases and grace periods are compared on
   * this one clock, so workers on machines whose clocks disagree still agree on who
   * holds a lease and when a "not found" may be believed.
   */
  async sharedNowMs(): Promise<number> {
    const [seconds, micros] = await this.#redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** The record, or null when there is none. */
  async get(refundRequestId: string): Promise<RefundRecord | null> {
    const json = await this.#redis.hget(this.keys.record(refundRequestId), "rec");
    return json === null ? null : (JSON.parse(json) as RefundRecord);
  }

  /** Records for many ids in one round trip (null where missing). */
  async getMany(refundRequestIds: readonly string[]): Promise<(RefundRecord | null)[]> {
    if (refundRequestIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of refundRequestIds) pipeline.hget(this.keys.record(id), "rec");
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, json]) => {
      if (err) throw err;
      return typeof json === "string" ? (JSON.parse(json) as RefundRecord) : null;
    });
  }

  /** A fresh `queued` record for a validated request (not stored). */
  newRecord(request: RefundRequestFields, batchId: string | undefined): RefundRecord {
    const at = new Date(this.#now()).toISOString();
    const record: RefundRecord = {
      refundRequestId: request.refundRequestId,
      kind: request.kind,
      request,
      state: "queued",
      attempts: 0,
      history: [{ state: "queued", at, event: "created" }],
      createdAt: at,
      updatedAt: at,
      submit: { mayExist: false, generation: 0 },
      version: 1,
    };
    if (batchId !== undefined) record.batchId = batchId;
    return record;
  }

  /**
   * Creates the record and reserves its amount against the order, atomically; or returns
   * the existing record (same request) or a conflict (different request); or, when the
   * order amount is known and the refund would exceed what is left, stores it as
   * `rejected` with `OVER_REFUND` and reserves nothing.
   */
  async create(request: RefundRequestFields, batchId?: string): Promise<CreateOutcome> {
    const args = this.#createArgs(request, batchId);
    return this.#interpretCreate(args, await this.#redis.gprCreateReserved(...args.argv));
  }

  /**
   * {@link create} for many requests: one pipelined round trip for the whole list (plus
   * one per over-refund, which is rare). Results are in input order.
   */
  async createMany(
    requests: readonly RefundRequestFields[],
    batchId?: string,
  ): Promise<CreateOutcome[]> {
    if (requests.length === 0) return [];
    const pipeline = this.#redis.pipeline() as unknown as StoreCommands & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    const prepared = requests.map((request) => {
      const args = this.#createArgs(request, batchId);
      void pipeline.gprCreateReserved(...args.argv);
      return args;
    });
    const results = (await pipeline.exec()) ?? [];
    const out: CreateOutcome[] = [];
    for (let i = 0; i < prepared.length; i++) {
      const [err, res] = results[i] ?? [new Error("missing pipeline result"), null];
      if (err) throw err;
      out.push(await this.#interpretCreate(prepared[i]!, res as string[]));
    }
    return out;
  }

  #createArgs(request: RefundRequestFields, batchId: string | undefined) {
    const record = this.newRecord(request, batchId);
    const fp = requestFingerprint(request);
    const units = amountToUnits(reservedAmountOf(request), UNIT_SCALE);
    const cap =
      request.orderAmount === undefined ? "" : String(orderAmountUnits(request.orderAmount));
    const batchKey = batchId === undefined ? this.keys.none : this.keys.batch(batchId);
    const argv = [
      this.keys.record(request.refundRequestId),
      this.keys.order(request.prepayId),
      this.keys.events,
      this.keys.inflight,
      batchKey,
      request.refundRequestId,
      JSON.stringify(record),
      fp,
      String(units),
      cap,
      String(this.#now() + this.#stallWindowMs),
      batchId === undefined ? "0" : "1",
      this.#maxLen,
      record.createdAt,
      batchId ?? "",
      "queued",
    ];
    return { record, fp, batchKey, argv };
  }

  async #interpretCreate(
    args: { record: RefundRecord; fp: string; batchKey: string },
    res: string[],
  ): Promise<CreateOutcome> {
    const [outcome, a, b] = res;
    if (outcome === "created") return { outcome: "created", record: args.record };
    if (outcome === "existing")
      return { outcome: "existing", record: JSON.parse(a!) as RefundRecord };
    if (outcome === "conflict")
      return { outcome: "conflict", record: JSON.parse(a!) as RefundRecord };
    return this.#createOverRefund(args.record, args.fp, BigInt(a!), BigInt(b!), args.batchKey);
  }

  async #createOverRefund(
    queued: RefundRecord,
    fp: string,
    reservedUnits: bigint,
    capUnits: bigint,
    batchKey: string,
  ): Promise<CreateOutcome> {
    const amount = reservedAmountOf(queued.request);
    const reserved = unitsToAmount(reservedUnits, UNIT_SCALE);
    const cap = unitsToAmount(capUnits, UNIT_SCALE);
    const remaining =
      compareAmounts(cap, reserved) > 0 ? unitsToAmount(capUnits - reservedUnits, UNIT_SCALE) : "0";
    const message =
      `refund of ${amount} exceeds what is left of order ${queued.request.prepayId}: ` +
      `order amount ${cap}, already refunded or in flight ${reserved}, left ${remaining}`;
    const at = queued.createdAt;
    const record: RefundRecord = {
      ...queued,
      state: "rejected",
      lastError: { code: "OVER_REFUND", message, at },
      history: [
        ...queued.history,
        { state: "rejected", at, event: "over-refund", note: "OVER_REFUND" },
      ],
    };
    const res = await this.#redis.gprCreateFinal(
      this.keys.record(queued.refundRequestId),
      this.keys.events,
      batchKey,
      queued.refundRequestId,
      JSON.stringify(record),
      fp,
      queued.batchId === undefined ? "0" : "1",
      this.#maxLen,
      at,
      queued.batchId ?? "",
      "rejected",
      "OVER_REFUND",
    );
    const [outcome, json] = res;
    if (outcome === "created") return { outcome: "over-refund", record };
    const existing = JSON.parse(json!) as RefundRecord;
    return { outcome: outcome === "existing" ? "existing" : "conflict", record: existing };
  }

  /**
   * Applies `event` with compare-and-set, re-reading and re-deciding on a version race
   * (unless `retryOnConflict` is false). `current` skips the first read when the caller
   * just read the record.
   */
  async transition(
    refundRequestId: string,
    event: RefundEvent,
    current?: RefundRecord | null,
    options: { retryOnConflict?: boolean } = {},
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
      const next = result.record;
      const release = next.state === "rejected" || next.state === "failed";
      const batchKey = next.batchId === undefined ? this.keys.none : this.keys.batch(next.batchId);
      const last = next.history[next.history.length - 1];
      const written = await this.#redis.gprTransition(
        this.keys.record(refundRequestId),
        this.keys.events,
        this.keys.inflight,
        this.keys.order(next.request.prepayId),
        batchKey,
        String(record.version),
        JSON.stringify(next),
        next.state,
        record.state,
        refundRequestId,
        release ? "1" : "0",
        isFinalState(next.state) ? "" : String(this.#now() + this.#stallWindowMs),
        next.batchId === undefined ? "0" : "1",
        this.#maxLen,
        event.type,
        next.updatedAt,
        next.batchId ?? "",
        last?.note ?? "",
        String(next.version),
      );
      if (written === 1) return { applied: true, record: next, previous: record };
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
    const dropped = await this.#redis.gprDropIfSettled(
      this.keys.record(refundRequestId),
      this.keys.inflight,
      refundRequestId,
      ...FINAL_STATES,
    );
    return dropped === 1;
  }

  /** Pushes a refund's reconcile time out (the reconciler saw it is being driven). */
  async snooze(refundRequestId: string, untilMs: number): Promise<void> {
    await this.#redis.zadd(this.keys.inflight, "XX", String(untilMs), refundRequestId);
  }

  /** Remembers an order's amount as GatePay reported it: the over-refund guard's cap. */
  async learnOrderAmount(prepayId: string, amount: string): Promise<void> {
    await this.#redis.hset(this.keys.order(prepayId), "amount", String(orderAmountUnits(amount)));
  }

  /** The over-refund guard's view of an order: its amount (if known) and what is reserved. */
  async orderReservation(prepayId: string): Promise<{ orderAmount?: string; reserved: string }> {
    const [amount, reserved] = await this.#redis.hmget(
      this.keys.order(prepayId),
      "amount",
      "reserved",
    );
    const out: { orderAmount?: string; reserved: string } = {
      reserved: unitsToAmount(BigInt(reserved ?? "0"), UNIT_SCALE),
    };
    if (amount != null) out.orderAmount = unitsToAmount(BigInt(amount), UNIT_SCALE);
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

const DEFINED = new WeakSet<Redis>();

function defineCommands(redis: Redis): void {
  if (DEFINED.has(redis)) return;
  redis.defineCommand("gprCreateReserved", { numberOfKeys: 5, lua: CREATE_RESERVED });
  redis.defineCommand("gprCreateFinal", { numberOfKeys: 3, lua: CREATE_FINAL });
  redis.defineCommand("gprTransition", { numberOfKeys: 5, lua: TRANSITION });
  redis.defineCommand("gprDropIfSettled", { numberOfKeys: 2, lua: DROP_IF_SETTLED });
  DEFINED.add(redis);
}
