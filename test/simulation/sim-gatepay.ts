/**
 * The simulated GatePay: a ledger of refunds and what a client sees of it. Answers are
 * the real client's types (src/gatepay: its error classes, the v2 details schema), so the
 * real classifier and report readers decide what they mean.
 *
 * What it models (gatepay-api.md):
 * - No deduplication (§9: GatePay's answer to a re-posted refundRequestId is undocumented;
 *   the strictest reading, as in the sandbox's strict mode, DESIGN.md "Real parts"): every
 *   POST that arrives with room on the order creates one more refund. A re-post that does
 *   not fit is refused with 500206 (§8.1 "refund amount exceeds limit").
 * - A POST reaches GatePay, if at all, before the client's timeout runs out; its answer may
 *   come back late (after the timeout: the client never sees it), be lost, or be an HTTP
 *   500 / code 300000 after the refund was recorded (DESIGN.md sandbox faults: "dropped
 *   connections before and after the refund is recorded"). A refused connection never
 *   reaches it; a 429 creates nothing.
 * - The read side lags behind creation (§6.5, DESIGN.md "details lagging behind creation")
 *   by up to `readLagMaxMs`: the operator's GATEPAY_LOOKUP_GRACE_MS is that bound.
 * - Refunds settle later to SUCCESS or FAIL (§6.4). PAY_REFUND webhooks (REFUND_PROCESS,
 *   then REFUND_SUCCESS / REFUND_REJECTED) arrive late, duplicated and in any order
 *   (§7.5), and are re-sent until acknowledged.
 */
import {
  GatePayApiError,
  GatePayConnectionError,
  GatePayTimeoutError,
} from "../../src/gatepay/errors.js";
import { RefundDetails } from "../../src/gatepay/schemas.js";
import { amountOfUnits, orderAmountUnits } from "../../src/store/record-codec.js";

export type ClientResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** One refund in GatePay's ledger. */
export interface GpRefund {
  refundRequestId: string;
  gateRefundId: string;
  prepayId: string;
  units: bigint;
  createdAtMs: number;
  visibleAtMs: number;
  status: "PROCESSING" | "SUCCESS" | "FAIL";
}

/** What the world gives GatePay: time, faults, scheduling, webhook delivery. */
export interface GatePayHost {
  now(): number;
  /** True when a fault of `kind` fires (probability `p`, faults enabled, not suppressed). */
  fault(kind: string, p: number): boolean;
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  at(atMs: number, what: string, fn: () => void): void;
  webhook(refundRequestId: string, bizStatus: string, gateRefundId: string): void;
  note(who: string, msg: string): void;
  /** A second refund for one refundRequestId came into existence. */
  onDuplicate(refundRequestId: string): void;
}

export interface GatePayParams {
  timeoutMs: number;
  readLagMaxMs: number;
  settleMinMs: number;
  settleMaxMs: number;
  /** Chance a settled refund fails. */
  failRatio: number;
  p: {
    refused: number;
    rateLimited: number;
    lostBefore: number;
    slow: number;
    lostAfter: number;
    error500After: number;
    lag: number;
    readTimeout: number;
    webhookDup: number;
    webhookLate: number;
  };
}

const ORDER = "orderRefund" as const;
const READ = "refundDetails" as const;

export class SimGatePay {
  readonly #host: GatePayHost;
  readonly #params: GatePayParams;
  readonly #byId = new Map<string, GpRefund[]>();
  readonly #caps = new Map<string, bigint>();
  #nextGateId = 1;

  constructor(host: GatePayHost, params: GatePayParams) {
    this.#host = host;
    this.#params = params;
  }

  /** Registers a paid order and its amount (what it can refund at most). */
  addOrder(prepayId: string, amount: string): void {
    this.#caps.set(prepayId, orderAmountUnits(amount));
  }

  refundsOf(refundRequestId: string): readonly GpRefund[] {
    return this.#byId.get(refundRequestId) ?? [];
  }

  /** Paid plus in flight (everything not FAIL) on an order, micro-units. */
  liveUnits(prepayId: string): bigint {
    let sum = 0n;
    for (const list of this.#byId.values())
      for (const r of list) if (r.prepayId === prepayId && r.status !== "FAIL") sum += r.units;
    return sum;
  }

  /**
   * POSTs a refund at now; `reply` gets the client's result once (its answer, or its
   * timeout at now + timeoutMs).
   */
  post(
    req: { refundRequestId: string; prepayId: string; refundAmount: string },
    reply: (r: ClientResult<Record<string, string>>) => void,
  ): void {
    const h = this.#host;
    const p = this.#params.p;
    const sentAt = h.now();
    const deadline = sentAt + this.#params.timeoutMs;
    let answered = false;
    const answer = (r: ClientResult<Record<string, string>>) => {
      if (answered) return;
      answered = true;
      reply(r);
    };
    const id = req.refundRequestId;
    h.at(deadline, `POST ${id} client timeout`, () =>
      answer({
        ok: false,
        error: new GatePayTimeoutError({
          operation: ORDER,
          timeoutMs: this.#params.timeoutMs,
          cause: null,
        }),
      }),
    );
    if (h.fault("post-refused", p.refused)) {
      h.at(sentAt + 1, `POST ${id} refused`, () =>
        answer({
          ok: false,
          error: new GatePayConnectionError({
            operation: ORDER,
            cause: null,
            requestMayHaveReached: false,
          }),
        }),
      );
      return;
    }
    if (h.fault("post-429", p.rateLimited)) {
      h.at(sentAt + 2, `POST ${id} 429`, () =>
        answer({
          ok: false,
          error: new GatePayApiError({ operation: ORDER, httpStatus: 429, retryAfterMs: 500 }),
        }),
      );
      return;
    }
    if (h.fault("post-lost-before", p.lostBefore)) return; // never arrives: the client times out
    const slow = h.fault("post-slow", p.slow);
    // It reaches GatePay before the client gives up (the protocol's "latest moment").
    const arriveAt = sentAt + (slow ? h.int(1, this.#params.timeoutMs - 1) : h.int(1, 20));
    h.at(arriveAt, `POST ${id} arrives`, () => {
      const made = this.#create(req);
      if (made === "over") {
        h.at(h.now() + h.int(1, 20), `POST ${id} 500206`, () =>
          answer({
            ok: false,
            error: new GatePayApiError({ operation: ORDER, httpStatus: 200, code: "500206" }),
          }),
        );
        return;
      }
      if (h.fault("post-lost-after", p.lostAfter)) return;
      if (h.fault("post-500-after", p.error500After)) {
        h.at(h.now() + h.int(1, 20), `POST ${id} 500`, () =>
          answer({
            ok: false,
            error: new GatePayApiError({ operation: ORDER, httpStatus: 500, code: "300000" }),
          }),
        );
        return;
      }
      const backAt =
        h.now() +
        (h.fault("post-late-answer", p.slow) ? h.int(1, this.#params.timeoutMs * 2) : h.int(1, 20));
      h.at(backAt, `POST ${id} answer`, () =>
        answer({
          ok: true,
          value: {
            refundGateId: made.gateRefundId,
            refundAmount: req.refundAmount,
            orderAmount: amountOfUnits(this.#caps.get(req.prepayId) ?? 0n),
          },
        }),
      );
    });
  }

  /** GET v2 refund details: the first visible refund for the id, or null ("not found"). */
  details(refundRequestId: string, reply: (r: ClientResult<RefundDetails | null>) => void): void {
    const h = this.#host;
    const p = this.#params.p;
    const id = refundRequestId;
    if (h.fault("read-timeout", p.readTimeout)) {
      h.at(h.now() + this.#params.timeoutMs, `GET ${id} timeout`, () =>
        reply({
          ok: false,
          error: new GatePayTimeoutError({
            operation: READ,
            timeoutMs: this.#params.timeoutMs,
            cause: null,
          }),
        }),
      );
      return;
    }
    const arriveAt = h.now() + h.int(1, 20);
    h.at(arriveAt, `GET ${id} arrives`, () => {
      const now = h.now();
      const seen = this.refundsOf(id).find((r) => r.visibleAtMs <= now);
      const value = seen ? this.#detailsOf(seen) : null;
      h.at(now + h.int(1, 20), `GET ${id} answer`, () => reply({ ok: true, value }));
    });
  }

  #detailsOf(r: GpRefund): RefundDetails {
    return RefundDetails.parse({
      refundRequestId: r.refundRequestId,
      status: r.status,
      gateRefundId: r.gateRefundId,
      orderAmount: amountOfUnits(this.#caps.get(r.prepayId) ?? 0n),
      amount: amountOfUnits(r.units),
      currency: "USDT",
      ...(r.status === "FAIL" ? { refund_fail_reason: "simulated failure" } : {}),
    });
  }

  #create(req: {
    refundRequestId: string;
    prepayId: string;
    refundAmount: string;
  }): GpRefund | "over" {
    const h = this.#host;
    const units = orderAmountUnits(req.refundAmount);
    const cap = this.#caps.get(req.prepayId) ?? 0n;
    if (this.liveUnits(req.prepayId) + units > cap) return "over";
    const now = h.now();
    const lag = h.fault("read-lag", this.#params.p.lag) ? h.int(1, this.#params.readLagMaxMs) : 0;
    const r: GpRefund = {
      refundRequestId: req.refundRequestId,
      gateRefundId: `G${this.#nextGateId++}`,
      prepayId: req.prepayId,
      units,
      createdAtMs: now,
      visibleAtMs: now + lag,
      status: "PROCESSING",
    };
    const list = this.#byId.get(r.refundRequestId) ?? [];
    list.push(r);
    this.#byId.set(r.refundRequestId, list);
    h.note(
      "gatepay",
      `created refund ${r.gateRefundId} for ${r.refundRequestId} (copy ${list.length}, visible after ${lag} ms)`,
    );
    if (list.length > 1) h.onDuplicate(r.refundRequestId);
    this.#sendWebhook(r, "REFUND_PROCESS");
    const settleAt = now + h.int(this.#params.settleMinMs, this.#params.settleMaxMs);
    h.at(settleAt, `settle ${r.gateRefundId}`, () => {
      r.status = h.chance(this.#params.failRatio) ? "FAIL" : "SUCCESS";
      h.note("gatepay", `refund ${r.gateRefundId} settled ${r.status}`);
      this.#sendWebhook(r, r.status === "SUCCESS" ? "REFUND_SUCCESS" : "REFUND_REJECTED");
    });
    return r;
  }

  #sendWebhook(r: GpRefund, bizStatus: string): void {
    const h = this.#host;
    const copies = h.fault("webhook-dup", this.#params.p.webhookDup) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const late = h.fault("webhook-late", this.#params.p.webhookLate);
      const delay = late ? h.int(1000, 30_000) : h.int(5, 200);
      h.at(h.now() + delay, `webhook ${bizStatus} ${r.refundRequestId}`, () =>
        h.webhook(r.refundRequestId, bizStatus, r.gateRefundId),
      );
    }
  }
}
