/**
 * The sandbox's books: paid orders and the refunds made against them. Pure (no clock,
 * no timers, no I/O): the server passes the time in and decides when to settle.
 *
 * Amounts are decimal strings everywhere; sums and comparisons go through BigInt scaled
 * integers (../domain/amount.ts), never floats.
 */
import { amountToUnits, MAX_AMOUNT_DECIMALS, unitsToAmount } from "../domain/amount.js";
import { parseCreateBody } from "./create-request.js";
import { failure, type SandboxFailure } from "./envelope.js";
import { validateSeedOrder, type OrderKind, type SeedOrder } from "./seed-order.js";

/**
 * What the sandbox does when a refundRequestId it already knows is posted again.
 * GatePay's behaviour is undocumented (gatepay-api.md §9), so each plausible answer is a
 * mode:
 * - `idempotent`: answer with the original refund; nothing new is recorded;
 * - `duplicate`: record a second, separate refund (money moves twice) — the strictest
 *   mode, in which a blind re-send shows up in the ledger;
 * - `reject`: answer a failure: code 400201, label `DUPLICATE_REFUND_REQUEST_ID`. GatePay
 *   documents no code for this; 400201 is its code for a duplicate merchant *order*
 *   number (gatepay-api.md §8.1), the nearest documented analogue.
 */
export type DuplicateMode = "idempotent" | "duplicate" | "reject";

/** Every {@link DuplicateMode}, for validation. */
export const DUPLICATE_MODES: readonly DuplicateMode[] = ["idempotent", "duplicate", "reject"];

/** An order as the ledger reports it. */
export interface LedgerOrder extends SeedOrder {
  /** Sum of refunds in progress or succeeded (failed refunds give their amount back). */
  refundedAmount: string;
  /** Sum of succeeded refunds only. */
  succeededAmount: string;
  /** `amount - refundedAmount`: what a new refund may still take. */
  remainingAmount: string;
  /** Refunds recorded against this order, whatever their status. */
  refundCount: number;
}

/**
 * Refund status as the v2 details endpoint reports it. `PROCESSING` is the sandbox's
 * choice for "in progress": GatePay's full enum is unpublished (gatepay-api.md §6.4).
 */
export type RefundStatus = "PROCESSING" | "SUCCESS" | "FAIL";

/** One refund the sandbox accepted. Amounts are decimal strings. */
export interface LedgerRefund {
  /** GatePay's refund id, unique per refund (a duplicate gets its own). */
  gateRefundId: string;
  refundRequestId: string;
  prepayId: string;
  /** Which endpoint created it. */
  kind: OrderKind;
  /** Amount taken from the order, in the order currency (`refundAmount` or `refundOrderAmount`). */
  refundAmount: string;
  /** The order currency. */
  currency: string;
  /** Convert refunds: the pay-currency side. */
  refundPayCurrency?: string;
  refundPayAmount?: string;
  refundReason?: string;
  /** Convert refunds: the recipient's Gate UID. */
  receiverId?: string;
  /** `X-GatePay-On-Behalf-Of` as received, on any path. */
  onBehalfOf?: string;
  /** True when created through an institution path. */
  institution: boolean;
  status: RefundStatus;
  /** Set when `status` is `FAIL`. */
  failReason?: string;
  /** Creation time, epoch ms (the sandbox clock). */
  createdAtMs: number;
  /** Settlement time, epoch ms. */
  settledAtMs?: number;
  /** 1 for the first refund of its refundRequestId, 2 for the first duplicate, … */
  sequence: number;
}

/** Outcome of {@link SandboxLedger.createRefund}. */
export type CreateRefundOutcome =
  | {
      ok: true;
      refund: LedgerRefund;
      /** True when an `idempotent` re-post returned the original (nothing recorded). */
      replay: boolean;
    }
  | { ok: false; failure: SandboxFailure };

/** Context of one create call. */
export interface CreateRefundContext {
  mode: DuplicateMode;
  nowMs: number;
  institution: boolean;
  onBehalfOf?: string | undefined;
}

/** Settlement result handed to {@link SandboxLedger.settle}. */
export type Settlement = { status: "SUCCESS" } | { status: "FAIL"; reason: string };

// Gate refund ids above 2^53, as real GatePay ids are (gatepay-api.md §4.1), so a
// client that parses them as numbers is caught.
const GATE_REFUND_ID_BASE = 790_000_000_000_000_000n;
const SCALE = MAX_AMOUNT_DECIMALS;

interface OrderState {
  seed: SeedOrder;
  amountUnits: bigint;
  reservedUnits: bigint;
  succeededUnits: bigint;
  refundCount: number;
}

/** A ledger of paid orders and refunds, with GatePay's refund rules. */
export class SandboxLedger {
  private readonly orderMap = new Map<string, OrderState>();
  private readonly refundList: LedgerRefund[] = [];
  private readonly byRequestId = new Map<string, LedgerRefund[]>();
  private readonly byGateId = new Map<string, LedgerRefund>();
  private nextGateId = GATE_REFUND_ID_BASE;

  /**
   * Adds a paid order. Seeding the same prepayId again with identical fields is a no-op;
   * with different fields it throws.
   *
   * @throws RangeError on invalid fields or a conflicting re-seed.
   */
  seedOrder(order: SeedOrder): LedgerOrder {
    const clean = validateSeedOrder(order);
    const existing = this.orderMap.get(clean.prepayId);
    if (existing) {
      if (JSON.stringify(existing.seed) !== JSON.stringify(clean)) {
        throw new RangeError(`order ${clean.prepayId} is already seeded with different fields`);
      }
      return this.snapshot(existing);
    }
    const state: OrderState = {
      seed: clean,
      amountUnits: amountToUnits(clean.amount, SCALE),
      reservedUnits: 0n,
      succeededUnits: 0n,
      refundCount: 0,
    };
    this.orderMap.set(clean.prepayId, state);
    return this.snapshot(state);
  }

  /** The order with this prepayId, with its refund totals; undefined when unknown. */
  order(prepayId: string): LedgerOrder | undefined {
    const state = this.orderMap.get(prepayId);
    return state ? this.snapshot(state) : undefined;
  }

  /** The order as seeded, without totals (cheap: no amount arithmetic); undefined when unknown. */
  orderTerms(prepayId: string): Readonly<SeedOrder> | undefined {
    return this.orderMap.get(prepayId)?.seed;
  }

  /** Every order, in seeding order. */
  get orders(): LedgerOrder[] {
    return [...this.orderMap.values()].map((s) => this.snapshot(s));
  }

  /** Every refund, in creation order (live records: statuses change on settlement). */
  get refunds(): readonly Readonly<LedgerRefund>[] {
    return this.refundList;
  }

  /** Every refund recorded for `refundRequestId` (more than one only in `duplicate` mode). */
  refundsFor(refundRequestId: string): readonly Readonly<LedgerRefund>[] {
    return this.byRequestId.get(refundRequestId) ?? [];
  }

  /** The first refund recorded for `refundRequestId`: what details and query report. */
  firstRefund(refundRequestId: string): Readonly<LedgerRefund> | undefined {
    return this.byRequestId.get(refundRequestId)?.[0];
  }

  /** The refund with this Gate refund id. */
  refundByGateId(gateRefundId: string): Readonly<LedgerRefund> | undefined {
    return this.byGateId.get(gateRefundId);
  }

  /** Refunds still `PROCESSING`. */
  pending(): Readonly<LedgerRefund>[] {
    return this.refundList.filter((r) => r.status === "PROCESSING");
  }

  /**
   * Applies GatePay's refund rules to one create request (the parsed JSON body) and
   * records the refund when they pass. Rule order: parameters (400001), a known
   * refundRequestId per `mode`, order exists (400202), right endpoint for the order
   * (500208), convert currencies (500205), amount within what remains (500206).
   */
  createRefund(kind: OrderKind, body: unknown, ctx: CreateRefundContext): CreateRefundOutcome {
    const parsed = parseCreateBody(kind, body);
    if ("failure" in parsed) return { ok: false, failure: parsed.failure };
    const req = parsed.request;

    const known = this.byRequestId.get(req.refundRequestId)?.[0];
    if (known && ctx.mode === "idempotent") return { ok: true, refund: known, replay: true };
    if (known && ctx.mode === "reject") {
      return {
        ok: false,
        failure: {
          code: "400201",
          label: "DUPLICATE_REFUND_REQUEST_ID",
          message: `refundRequestId ${req.refundRequestId} already exists`,
        },
      };
    }

    const order = this.orderMap.get(req.prepayId);
    if (!order) return fail("400202", `order ${req.prepayId} does not exist`);
    if (order.seed.kind !== kind) {
      return fail(
        "500208",
        kind === "convert"
          ? `order ${req.prepayId} was not paid by conversion: use the order refund endpoint`
          : `order ${req.prepayId} was paid by conversion: use the refundconvert endpoint`,
      );
    }
    if (kind === "convert") {
      if (req.refundOrderCurrency !== order.seed.currency) {
        return fail("500205", "refundOrderCurrency must be the order currency");
      }
      if (
        order.seed.payCurrency !== undefined &&
        req.refundPayCurrency !== order.seed.payCurrency
      ) {
        return fail("500205", "refundPayCurrency must be the currency the user paid in");
      }
    }
    const units = amountToUnits(req.amount, SCALE);
    const remaining = order.amountUnits - order.reservedUnits;
    if (units > remaining) {
      return fail(
        "500206",
        `refund amount ${req.amount} exceeds the refundable ${unitsToAmount(remaining, SCALE)}`,
      );
    }

    const siblings = this.byRequestId.get(req.refundRequestId) ?? [];
    const refund: LedgerRefund = {
      gateRefundId: String(this.nextGateId++),
      refundRequestId: req.refundRequestId,
      prepayId: req.prepayId,
      kind,
      refundAmount: req.amount,
      currency: order.seed.currency,
      institution: ctx.institution,
      status: "PROCESSING",
      createdAtMs: ctx.nowMs,
      sequence: siblings.length + 1,
    };
    if (req.refundPayCurrency !== undefined) refund.refundPayCurrency = req.refundPayCurrency;
    if (req.refundPayAmount !== undefined) refund.refundPayAmount = req.refundPayAmount;
    if (req.refundReason !== undefined) refund.refundReason = req.refundReason;
    if (req.receiverId !== undefined) refund.receiverId = req.receiverId;
    if (ctx.onBehalfOf !== undefined) refund.onBehalfOf = ctx.onBehalfOf;

    order.reservedUnits += units;
    order.refundCount += 1;
    siblings.push(refund);
    this.byRequestId.set(req.refundRequestId, siblings);
    this.byGateId.set(refund.gateRefundId, refund);
    this.refundList.push(refund);
    return { ok: true, refund, replay: false };
  }

  /**
   * Moves a `PROCESSING` refund to its final status. A failed refund gives its amount
   * back to the order (no money moved). Returns the refund, or undefined when it is
   * unknown or already final (settlement happens once).
   */
  settle(
    gateRefundId: string,
    outcome: Settlement,
    nowMs: number,
  ): Readonly<LedgerRefund> | undefined {
    const refund = this.byGateId.get(gateRefundId);
    if (!refund || refund.status !== "PROCESSING") return undefined;
    const order = this.orderMap.get(refund.prepayId);
    const units = amountToUnits(refund.refundAmount, SCALE);
    refund.status = outcome.status;
    refund.settledAtMs = nowMs;
    if (outcome.status === "FAIL") {
      refund.failReason = outcome.reason;
      if (order) order.reservedUnits -= units;
    } else if (order) {
      order.succeededUnits += units;
    }
    return refund;
  }

  /** Forgets every order and refund. */
  clear(): void {
    this.orderMap.clear();
    this.refundList.length = 0;
    this.byRequestId.clear();
    this.byGateId.clear();
    this.nextGateId = GATE_REFUND_ID_BASE;
  }

  /** A JSON-ready copy of the whole ledger. */
  toJSON(): { orders: LedgerOrder[]; refunds: LedgerRefund[] } {
    return { orders: this.orders, refunds: this.refundList.map((r) => ({ ...r })) };
  }

  private snapshot(state: OrderState): LedgerOrder {
    return {
      ...state.seed,
      refundedAmount: unitsToAmount(state.reservedUnits, SCALE),
      succeededAmount: unitsToAmount(state.succeededUnits, SCALE),
      remainingAmount: unitsToAmount(state.amountUnits - state.reservedUnits, SCALE),
      refundCount: state.refundCount,
    };
  }
}

function fail(code: Parameters<typeof failure>[0], message: string): CreateRefundOutcome {
  return { ok: false, failure: failure(code, message) };
}
