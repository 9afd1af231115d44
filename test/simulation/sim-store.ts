/**
 * The simulated Redis store: refund records, the over-refund reservation, a shared clock,
 * asynchronous replication with a durability barrier, and failover.
 *
 * What it models, and from where:
 * - Every operation is atomic, as one Lua script is on Redis (README "Architecture": each
 *   write of `src/store/refund-store.ts` is one script). `create` mirrors
 *   `createReserved-n.lua` (+ `createFinal-3.lua` for an over-refund), `cas` mirrors
 *   `transition-5.lua`: compare, write, and release the reservation when the refund
 *   becomes `rejected` or `failed` (no money moved).
 * - Compare-and-set is on a write id unique across the store's whole life, not on the
 *   record's version: after a failover loses acknowledged writes, versions are reused
 *   (v7 on the old master and a different v7 on the new one), so a run holding the old
 *   v7 could overwrite a record it never read. The durability work (issue 12) moves the
 *   real store to such a write id; `casBy: "version"` keeps the old rule, to show the bug.
 * - Replication is asynchronous (DESIGN.md "Durability"): the replica holds a prefix of
 *   the master's acknowledged writes and catches up at random. A barrier (WAIT/WAITAOF)
 *   succeeds only once the replica holds every write so far. A failover promotes the
 *   replica: every acknowledged write not covered by it is lost, and the new master's
 *   clock (Redis TIME, which leases are read on) may differ from the old one's by up to
 *   the skew the world allows (NTP-synced hosts, not one clock).
 */
import { overRefundEvent } from "../../src/domain/over-refund.js";
import type { RefundRecord, RefundRequestFields } from "../../src/domain/refund-record.js";
import { applyRefundEvent, createRefundRecord } from "../../src/domain/refund-state.js";
import { attentionReReserves, type RefundAttention } from "../../src/domain/attention.js";
import {
  amountOfUnits,
  orderAmountUnits,
  requestFingerprint,
  reservedUnitsOf,
} from "../../src/store/record-codec.js";

/** A record as the store holds it, with the id of the write that stored it. */
export interface Stored {
  readonly rec: RefundRecord;
  readonly writeId: number;
}

interface OrderState {
  capUnits: bigint | undefined;
  reserved: bigint;
  per: Map<string, bigint>;
}

export type SimCreateOutcome = "created" | "existing" | "conflict" | "over-refund";

export interface SimStoreOptions {
  /** What compare-and-set compares: a unique write id (default) or the record version. */
  casBy?: "write-id" | "version";
}

export class SimStore {
  readonly #records = new Map<string, Stored>();
  readonly #fingerprints = new Map<string, string>();
  readonly #orders = new Map<string, OrderState>();
  readonly #realNow: () => number;
  readonly #casBy: "write-id" | "version";
  /** Undo steps of acknowledged writes the replica may not hold yet, oldest first. */
  #undo: { seq: number; undo: () => void }[] = [];
  #seq = 0;
  #replicaSeq = 0;
  #nextWriteId = 1;
  #clockOffsetMs = 0;
  #epoch = 0;
  /** How many acknowledged writes failovers have lost, in all. */
  lostWrites = 0;

  constructor(realNow: () => number, options: SimStoreOptions = {}) {
    this.#realNow = realNow;
    this.#casBy = options.casBy ?? "write-id";
  }

  /** Redis TIME on the current master, epoch ms. */
  nowMs(): number {
    return this.#realNow() + this.#clockOffsetMs;
  }

  get(id: string): Stored | null {
    return this.#records.get(id) ?? null;
  }

  ids(): string[] {
    return [...this.#records.keys()];
  }

  /**
   * `RefundStore.create`: the record and its reservation, or the existing record, or an
   * over-refund stored `rejected` with nothing reserved (createReserved-n.lua).
   */
  create(
    request: RefundRequestFields,
    nowMs: number,
  ): { outcome: SimCreateOutcome; stored: Stored } {
    const id = request.refundRequestId;
    const fp = requestFingerprint(request);
    const found = this.#records.get(id);
    if (found) {
      return {
        outcome: this.#fingerprints.get(id) === fp ? "existing" : "conflict",
        stored: found,
      };
    }
    const units = reservedUnitsOf(request);
    const order = this.#order(request.prepayId);
    // createReserved-n.lua: the limit is the order's cap (only GatePay's answer sets it)
    // or the caller's own orderAmount when lower; the caller's value is never stored.
    const callerCap =
      request.orderAmount === undefined ? undefined : orderAmountUnits(request.orderAmount);
    const cap =
      order.capUnits === undefined
        ? callerCap
        : callerCap !== undefined && callerCap < order.capUnits
          ? callerCap
          : order.capUnits;
    let rec = createRefundRecord(request, nowMs);
    const over = cap !== undefined && order.reserved + units > cap;
    if (over) {
      const event = overRefundEvent(request, {
        orderAmount: amountOfUnits(cap),
        reserved: amountOfUnits(order.reserved),
      });
      const t = applyRefundEvent(rec, event, nowMs);
      if (!t.changed) throw new Error(`over-refund refused: ${t.reason}`);
      rec = t.record;
    }
    const stored = { rec, writeId: this.#nextWriteId++ };
    this.#write(() => {
      this.#records.delete(id);
      this.#fingerprints.delete(id);
      if (!over) {
        order.reserved -= units;
        order.per.delete(id);
      }
    });
    if (!over) {
      order.reserved += units;
      order.per.set(id, units);
    }
    this.#records.set(id, stored);
    this.#fingerprints.set(id, fp);
    return { outcome: over ? "over-refund" : "created", stored };
  }

  /**
   * transition-5.lua: writes `next` if the record is still the one `expected` read, and
   * releases the reservation when `next` is `rejected` or `failed`. Null: it moved.
   */
  cas(expected: Stored, next: RefundRecord, attention?: RefundAttention): Stored | null {
    const id = next.refundRequestId;
    const current = this.#records.get(id);
    if (!current) return null;
    const same =
      this.#casBy === "write-id"
        ? current.writeId === expected.writeId
        : current.rec.version === expected.rec.version;
    if (!same) return null;
    const stored = { rec: next, writeId: this.#nextWriteId++ };
    const order = this.#order(next.request.prepayId);
    if (attention) {
      // recordAttention-4.lua: the state stays; money may have moved after a refusal, so
      // the refund's amount is held against the order again (once).
      const units = reservedUnitsOf(next.request);
      const hold = attentionReReserves(attention.code) && !order.per.has(id);
      this.#write(() => {
        this.#records.set(id, current);
        if (hold) {
          order.reserved -= units;
          order.per.delete(id);
        }
      });
      this.#records.set(id, stored);
      if (hold) {
        order.reserved += units;
        order.per.set(id, units);
      }
      return stored;
    }
    const release = next.state === "rejected" || next.state === "failed";
    const units = release ? order.per.get(id) : undefined;
    this.#write(() => {
      this.#records.set(id, current);
      if (units !== undefined) {
        order.reserved += units;
        order.per.set(id, units);
      }
    });
    this.#records.set(id, stored);
    if (units !== undefined) {
      order.reserved -= units;
      order.per.delete(id);
    }
    return stored;
  }

  /**
   * refund-store.ts `learnOrderAmount`: GatePay's answer named the order's amount; it
   * becomes the cap when none is known (a write like any other: a failover may lose it).
   */
  learnOrderAmount(prepayId: string, amount: string): void {
    const order = this.#order(prepayId);
    if (order.capUnits !== undefined) return;
    order.capUnits = orderAmountUnits(amount);
    this.#write(() => {
      order.capUnits = undefined;
    });
  }

  /** The reservation of an order, in micro-units: its cap (if known) and what is held. */
  reservation(prepayId: string): {
    capUnits: bigint | undefined;
    reserved: bigint;
    sumOfParts: bigint;
  } {
    const o = this.#order(prepayId);
    let sum = 0n;
    for (const u of o.per.values()) sum += u;
    return { capUnits: o.capUnits, reserved: o.reserved, sumOfParts: sum };
  }

  orders(): string[] {
    return [...this.#orders.keys()];
  }

  /** Replication catches up to a random point (`fraction` of the way, 0..1). */
  replicate(fraction: number): void {
    const target = this.#replicaSeq + Math.floor((this.#seq - this.#replicaSeq) * fraction);
    this.#replicaTo(target);
  }

  /** How many failovers the store has been through: which master a connection talks to. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * WAIT/WAITAOF on the connection that made the writes of `epoch`: when the store failed
   * over since, that master is gone and the barrier fails (the writes it would cover may be
   * lost); otherwise the replica now holds every acknowledged write. A barrier sent to the
   * new master after a reconnect would prove nothing about the old master's writes.
   */
  barrier(epoch = this.#epoch): boolean {
    if (epoch !== this.#epoch) return false;
    this.#replicaTo(this.#seq);
    return true;
  }

  /** Writes acknowledged but not yet on the replica. */
  unreplicated(): number {
    return this.#seq - this.#replicaSeq;
  }

  /**
   * Promotes the replica: acknowledged writes it lacks are lost, and the shared clock
   * becomes the new master's (`clockOffsetMs` from real time). Returns how many writes were lost.
   */
  failover(clockOffsetMs: number): number {
    let lost = 0;
    for (let i = this.#undo.length - 1; i >= 0; i--) {
      this.#undo[i]!.undo();
      lost++;
    }
    this.#undo = [];
    this.#seq = this.#replicaSeq;
    this.#clockOffsetMs = clockOffsetMs;
    this.#epoch++;
    this.lostWrites += lost;
    return lost;
  }

  #replicaTo(seq: number): void {
    this.#replicaSeq = Math.max(this.#replicaSeq, Math.min(seq, this.#seq));
    let drop = 0;
    while (drop < this.#undo.length && this.#undo[drop]!.seq <= this.#replicaSeq) drop++;
    if (drop > 0) this.#undo = this.#undo.slice(drop);
  }

  #write(undo: () => void): void {
    this.#seq++;
    this.#undo.push({ seq: this.#seq, undo });
  }

  #order(prepayId: string): OrderState {
    let o = this.#orders.get(prepayId);
    if (!o) {
      o = { capUnits: undefined, reserved: 0n, per: new Map() };
      this.#orders.set(prepayId, o);
    }
    return o;
  }
}
