/**
 * Every Lua script of the store, each behind a typed wrapper that takes named fields and
 * builds the script's KEYS and ARGV here, in the order its `.lua` header documents. Each
 * script runs atomically in Redis, so a record, its over-refund reservation, its batch
 * counters, the in-flight index and the events stream never disagree, whatever process
 * dies when. Every key a script touches carries the deployment's hash tag (keys.ts), so
 * they run on Redis Cluster too.
 */
import { serverEpoch } from "../domain/durability.js";
import type { SharedClockReading } from "../domain/grace-clock.js";
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundState } from "../domain/refund-state.js";
import type { RefundKeys } from "./keys.js";
import { LuaScript } from "./lua-script.js";

/** What a create script answers. */
export type CreateReply =
  | { outcome: "created" }
  /** The same request is stored already (`json`: the stored record). */
  | { outcome: "existing"; json: string }
  /** A different request is stored under this id. */
  | { outcome: "conflict"; json: string };

export type CreateReservedReply =
  | CreateReply
  /** The refund does not fit what is left of the order; nothing was written. */
  | { outcome: "over"; reservedUnits: bigint; capUnits: bigint };

/** Settings every script that writes a record needs. */
interface RecordWrite {
  keys: RefundKeys;
  /** Approximate cap of the events stream (XADD MAXLEN ~). */
  eventsMaxLen: number;
}

/** One refund of {@link CreateReservedInput}. */
export interface CreateReservedItem {
  /** The new record (a `queued` one): id, batch, state, time and version come from it. */
  record: RefundRecord;
  /** {@link requestFingerprint} of its request. */
  fingerprint: string;
  /** Micro-units to reserve against the order. */
  reserveUnits: bigint;
  /**
   * The caller's `orderAmount` in micro-units: checks this request only, never stored
   * as the order's cap (a wrong small value would block the order for good).
   */
  orderAmountUnits: bigint | undefined;
  /** Order hash field the units count in (record-codec.ts `reservationField`). */
  reservationField: string;
  /** When the reconciler should look at the refund if nothing writes it first (epoch ms). */
  reconcileAtMs: number;
}

export interface CreateReservedInput extends RecordWrite {
  /**
   * The refunds, created in this order. Their records share state, version and batch
   * (new `queued` records of one enqueue).
   */
  items: readonly CreateReservedItem[];
}

export interface CreateFinalInput extends RecordWrite {
  /** The new record, already final; its last history entry describes the event. */
  record: RefundRecord;
  fingerprint: string;
}

export interface TransitionInput extends RecordWrite {
  /** The record as read (its version is compared). */
  previous: RefundRecord;
  /** The record after the event; its last history entry describes the event. */
  next: RefundRecord;
  /** Give back the refund's reservation (no money moved and none will). */
  releaseReservation: boolean;
  /** New reconcile time (epoch ms), or null to drop the refund from the in-flight index. */
  reconcileAtMs: number | null;
  /** The job that drives the refund from now on (the record's `job` field), if it changes. */
  driverJobId?: string | undefined;
  /** The order's amount (micro-units) and currency GatePay reported, to store on the order. */
  orderAmount?: { units: bigint; currency?: string | undefined } | undefined;
}

export interface RecordAttentionInput extends RecordWrite {
  previous: RefundRecord;
  /** The record with `attention` set (state unchanged). */
  next: RefundRecord;
  /** Micro-units to hold again against the order, or undefined to leave it. */
  reReserveUnits: bigint | undefined;
  /** Order hash field those units count in (record-codec.ts `reservationField`). */
  reservationField: string;
}

export interface DropIfSettledInput {
  keys: RefundKeys;
  refundRequestId: string;
  finalStates: Iterable<RefundState>;
}

export interface RateLimitInput {
  key: string;
  /** ms between requests (1000 / rps; may be fractional). */
  intervalMs: number;
  /** Requests that may go back to back. */
  burst: number;
}

export interface ReleaseLockInput {
  key: string;
  /** The token the lock was taken with. */
  owner: string;
}

function batchKeyOf(keys: RefundKeys, record: RefundRecord): string {
  // A same-slot placeholder keeps the script's key count fixed when there is no batch.
  return record.batchId === undefined ? keys.none : keys.batch(record.batchId);
}

function parseCreate(raw: string[]): CreateReply {
  const [outcome, json = ""] = raw;
  if (outcome === "created") return { outcome };
  if (outcome === "existing" || outcome === "conflict") return { outcome, json };
  throw new Error(`unexpected create reply ${JSON.stringify(raw)}`);
}

/** Refunds per call of {@link createReservedScript}: Redis runs each call at once. */
export const CREATE_GROUP = 100;

/**
 * Creates records with their reservations, each unless one exists, one group per call
 * (createReserved-n.lua): one reply per item, in order.
 */
export const createReservedScript = new LuaScript<
  CreateReservedInput,
  CreateReservedReply[],
  string[][]
>(
  "createReserved-n.lua",
  ({ keys, eventsMaxLen, items }) => {
    const first = items[0]?.record;
    if (first === undefined) throw new Error("createReserved-n.lua: no refunds given");
    const scriptKeys = [keys.events, keys.inflight, batchKeyOf(keys, first)];
    const argv = [
      String(eventsMaxLen),
      first.batchId === undefined ? "0" : "1",
      first.batchId ?? "",
      first.state,
      String(first.version),
    ];
    for (const i of items) {
      const r = i.record;
      if (r.batchId !== first.batchId || r.state !== first.state || r.version !== first.version) {
        throw new Error("createReserved-n.lua: one group's records share batch, state and version");
      }
      scriptKeys.push(keys.record(r.refundRequestId), keys.order(r.request.prepayId));
      argv.push(
        r.refundRequestId,
        JSON.stringify(r),
        i.fingerprint,
        String(i.reserveUnits),
        i.orderAmountUnits === undefined ? "" : String(i.orderAmountUnits),
        String(i.reconcileAtMs),
        r.createdAt,
        i.reservationField,
      );
    }
    return { keys: scriptKeys, argv };
  },
  (raw) =>
    raw.map((reply) => {
      if (reply[0] !== "over") return parseCreate(reply);
      return { outcome: "over", reservedUnits: BigInt(reply[1]!), capUnits: BigInt(reply[2]!) };
    }),
);

/** Creates a record that is final from the start, unless one exists (createFinal-3.lua). */
export const createFinalScript = new LuaScript<CreateFinalInput, CreateReply, string[]>(
  "createFinal-3.lua",
  (i) => ({
    keys: [i.keys.record(i.record.refundRequestId), i.keys.events, batchKeyOf(i.keys, i.record)],
    argv: [
      i.record.refundRequestId,
      JSON.stringify(i.record),
      i.fingerprint,
      i.record.batchId === undefined ? "0" : "1",
      String(i.eventsMaxLen),
      i.record.updatedAt,
      i.record.batchId ?? "",
      i.record.state,
      i.record.history.at(-1)?.note ?? "",
      String(i.record.version),
    ],
  }),
  parseCreate,
);

/** Compare-and-set of one transition (transition-5.lua). True when written. */
export const transitionScript = new LuaScript<TransitionInput, boolean, number>(
  "transition-5.lua",
  ({ keys, previous, next, ...i }) => {
    const id = next.refundRequestId;
    const last = next.history.at(-1);
    return {
      keys: [
        keys.record(id),
        keys.events,
        keys.inflight,
        keys.order(next.request.prepayId),
        batchKeyOf(keys, next),
      ],
      argv: [
        String(previous.version),
        JSON.stringify(next),
        next.state,
        previous.state,
        id,
        i.releaseReservation ? "1" : "0",
        i.reconcileAtMs === null ? "" : String(i.reconcileAtMs),
        next.batchId === undefined ? "0" : "1",
        String(i.eventsMaxLen),
        last?.event ?? "",
        next.updatedAt,
        next.batchId ?? "",
        last?.note ?? "",
        String(next.version),
        previous.writeId ?? "",
        next.writeId ?? "",
        i.driverJobId ?? "",
        i.orderAmount === undefined ? "" : String(i.orderAmount.units),
        i.orderAmount?.currency ?? "",
      ],
    };
  },
  (raw) => raw === 1,
);

/** Compare-and-set of a contradiction on a terminal record (recordAttention-4.lua). */
export const recordAttentionScript = new LuaScript<RecordAttentionInput, boolean, number>(
  "recordAttention-4.lua",
  ({ keys, previous, next, ...i }) => {
    const id = next.refundRequestId;
    const at = next.attention?.at ?? next.updatedAt;
    return {
      keys: [keys.record(id), keys.events, keys.order(next.request.prepayId), keys.attention],
      argv: [
        String(previous.version),
        JSON.stringify(next),
        String(next.version),
        id,
        String(Date.parse(at)),
        i.reReserveUnits === undefined ? "" : String(i.reReserveUnits),
        i.reservationField,
        String(i.eventsMaxLen),
        at,
        next.state,
        next.batchId ?? "",
        next.attention?.code ?? "",
        previous.writeId ?? "",
        next.writeId ?? "",
      ],
    };
  },
  (raw) => raw === 1,
);

/** Drops a refund from the in-flight index if it is gone or final (dropIfSettled-2.lua). */
export const dropIfSettledScript = new LuaScript<DropIfSettledInput, boolean, number>(
  "dropIfSettled-2.lua",
  (i) => ({
    keys: [i.keys.record(i.refundRequestId), i.keys.inflight],
    argv: [i.refundRequestId, ...i.finalStates],
  }),
  (raw) => raw === 1,
);

/** GCRA step (rateLimit-1.lua): 0 when a request may go now, else the ms to wait. */
export const rateLimitScript = new LuaScript<RateLimitInput, number, number>(
  "rateLimit-1.lua",
  (i) => ({ keys: [i.key], argv: [String(i.intervalMs), String(i.burst)] }),
  (raw) => raw,
);

/** Deletes a lock only if `owner` still holds it (releaseLock-1.lua). True when released. */
export const releaseLockScript = new LuaScript<ReleaseLockInput, boolean, number>(
  "releaseLock-1.lua",
  (i) => ({ keys: [i.key], argv: [i.owner] }),
  (raw) => raw === 1,
);

/** Input of {@link claimShardScript}. */
export interface ClaimShardInput {
  /** The id's index key (RefundKeys.shardOf). */
  key: string;
  shard: number;
  /** A shard found holding the id without its record, that the claim may replace. */
  staleShard?: number | undefined;
}

/** Claims an id for a shard (claimShard-1.lua): the shard that owns the id now. */
export const claimShardScript = new LuaScript<ClaimShardInput, number, string>(
  "claimShard-1.lua",
  (i) => ({
    keys: [i.key],
    argv: [String(i.shard), i.staleShard === undefined ? "" : String(i.staleShard)],
  }),
  (raw) => Number(raw),
);

/** Redis's TIME on the server holding `key` (readTime-1.lua), in epoch ms. */
export const readTimeScript = new LuaScript<{ key: string }, number, [string, string]>(
  "readTime-1.lua",
  (i) => ({ keys: [i.key], argv: [] }),
  ([seconds, micros]) => Number(seconds) * 1000 + Math.floor(Number(micros) / 1000),
);

/** Redis's TIME and the server's epoch, read together on the server holding `key` (readClock-1.lua). */
export const readClockScript = new LuaScript<
  { key: string },
  SharedClockReading,
  [string, string, string, string]
>(
  "readClock-1.lua",
  (i) => ({ keys: [i.key], argv: [] }),
  ([seconds, micros, runId, replId]) => ({
    nowMs: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000),
    epoch: serverEpoch({ runId, replId }),
  }),
);

/** A record and the shared clock read with it (readRecordClock-1.lua). */
export interface RecordClockReply {
  json: string | null;
  clock: SharedClockReading;
}

/** A record's JSON, then Redis's TIME and the server's epoch, in one call (readRecordClock-1.lua). */
export const readRecordClockScript = new LuaScript<
  { recordKey: string },
  RecordClockReply,
  [string | null, string, string, string, string]
>(
  "readRecordClock-1.lua",
  (i) => ({ keys: [i.recordKey], argv: [] }),
  ([json, seconds, micros, runId, replId]) => ({
    json,
    clock: {
      nowMs: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000),
      epoch: serverEpoch({ runId, replId }),
    },
  }),
);

/** Every script, for checks that they all load and match their files. */
export const LUA_SCRIPTS: readonly LuaScript<never, unknown, never>[] = [
  createReservedScript,
  createFinalScript,
  transitionScript,
  recordAttentionScript,
  dropIfSettledScript,
  rateLimitScript,
  releaseLockScript,
  claimShardScript,
  readTimeScript,
  readClockScript,
  readRecordClockScript,
];
