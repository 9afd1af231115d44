/**
 * The invariants, checked after every step of the world and once at the end:
 * 1. no refundRequestId is paid twice (GatePay never holds two refunds for one id);
 * 2. no terminal state changes: a terminal record never becomes another state, except
 *    that a failover may lose the write that made it terminal (only the intent to send
 *    and the enqueue are behind a barrier, DESIGN.md "Durability") — then it must reach
 *    the same terminal state again;
 * 3. the over-refund reservation is consistent (the order's total is the sum of its
 *    refunds' holds), never above the order amount, and never below what GatePay has paid
 *    or has in flight on the order — so paid + in flight cannot exceed the order;
 * 4. at the end, once faults stopped: every refund is terminal and agrees with GatePay
 *    (succeeded ⇔ one SUCCESS refund, failed ⇔ one FAIL refund, rejected ⇔ none).
 */
import { isTerminalState, type RefundState } from "../../src/domain/refund-state.js";
import type { SimGatePay } from "./sim-gatepay.js";
import type { SimStore } from "./sim-store.js";

export type ViolationKind =
  "double-refund" | "terminal-changed" | "reservation" | "not-final" | "disagrees" | "exception";

export interface Violation {
  kind: ViolationKind;
  message: string;
  atMs: number;
  refundRequestId?: string;
}

interface WorldView {
  readonly store: SimStore;
  readonly gatepay: SimGatePay;
  readonly now: number;
  readonly failovers: number;
  note(who: string, msg: string): void;
}

export class Invariants {
  violation: Violation | null = null;
  readonly #w: WorldView;
  /** The terminal state each refund reached, and how many failovers had happened then. */
  readonly #terminal = new Map<string, { state: RefundState; failovers: number; lost: boolean }>();

  constructor(world: WorldView) {
    this.#w = world;
  }

  fail(kind: ViolationKind, message: string, refundRequestId?: string): void {
    if (this.violation) return;
    this.violation = { kind, message, atMs: this.#w.now };
    if (refundRequestId !== undefined) this.violation.refundRequestId = refundRequestId;
    this.#w.note("INVARIANT", `${kind}: ${message}`);
  }

  doubleRefund(id: string): void {
    this.fail(
      "double-refund",
      `GatePay holds ${this.#w.gatepay.refundsOf(id).length} refunds for ${id}`,
      id,
    );
  }

  checkStep(): void {
    const { store, gatepay } = this.#w;
    for (const id of store.ids()) {
      const state = store.get(id)!.rec.state;
      const seen = this.#terminal.get(id);
      if (!seen) {
        if (isTerminalState(state)) {
          this.#terminal.set(id, { state, failovers: this.#w.failovers, lost: false });
        }
      } else if (state === seen.state) {
        if (seen.lost) Object.assign(seen, { lost: false, failovers: this.#w.failovers });
      } else if (isTerminalState(state) || (!seen.lost && this.#w.failovers === seen.failovers)) {
        this.fail("terminal-changed", `${id} went from ${seen.state} to ${state}`, id);
        return;
      } else if (!seen.lost) {
        // Lost in a failover before it was durable: it must come back the same.
        seen.lost = true;
        this.#w.note("check", `${id}: terminal ${seen.state} lost in a failover (now ${state})`);
      }
    }
    for (const prepayId of store.orders()) {
      const r = store.reservation(prepayId);
      const live = gatepay.liveUnits(prepayId);
      if (r.reserved !== r.sumOfParts) {
        this.fail(
          "reservation",
          `${prepayId}: reserved ${r.reserved} but its refunds hold ${r.sumOfParts}`,
        );
      } else if (r.capUnits !== undefined && r.reserved > r.capUnits) {
        this.fail(
          "reservation",
          `${prepayId}: reserved ${r.reserved} above the order amount ${r.capUnits}`,
        );
      } else if (live > r.reserved) {
        this.fail(
          "reservation",
          `${prepayId}: GatePay has ${live} paid or in flight, only ${r.reserved} reserved`,
        );
      }
    }
  }

  checkEnd(settled: boolean): void {
    const { store, gatepay } = this.#w;
    for (const id of store.ids()) {
      const state = store.get(id)!.rec.state;
      const gp = gatepay.refundsOf(id);
      if (!isTerminalState(state)) {
        this.fail(
          "not-final",
          `${id} is ${state} at the end${settled ? "" : " (never settled)"}`,
          id,
        );
        return;
      }
      const agrees =
        state === "rejected"
          ? gp.length === 0
          : gp.length === 1 && gp[0]!.status === (state === "succeeded" ? "SUCCESS" : "FAIL");
      if (!agrees) {
        const seen = gp.map((r) => r.status).join(", ") || "nothing";
        this.fail("disagrees", `${id} is ${state} but GatePay has ${seen}`, id);
        return;
      }
    }
  }
}
