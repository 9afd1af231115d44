/**
 * A refund whose earlier send may exist keeps `hadUnknownOutcome`, so that a permanent
 * refusal of a later send ends `dead` (money held) and never `rejected` (money released)
 * while an earlier attempt may have paid. Found in review after the merges: a run killed
 * mid-POST writes no deferral, and a failover can lose one; the flag must then come from
 * what the record does show (a send that may exist, a look-up).
 */
import { describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import {
  applyRefundEvent,
  createRefundRecord,
  type RefundEvent,
} from "../../src/domain/refund-state.js";
import { decideSubmitFailure } from "../../src/domain/submit-failure.js";

const T0 = 1_800_000_000_000;

function apply(record: RefundRecord, event: RefundEvent, at = T0): RefundRecord {
  const t = applyRefundEvent(record, event, at);
  if (!t.changed) throw new Error(t.reason);
  return t.record;
}

const queued = createRefundRecord(
  { kind: "order", refundRequestId: "U1", prepayId: "P1", refundAmount: "1" },
  T0,
);
const start = (rec: RefundRecord, attempt: number) =>
  apply(rec, { type: "submit-started", attempt, leaseOwner: `w${attempt}`, leaseUntilMs: T0 + 1 });

describe("hadUnknownOutcome without a deferral", () => {
  it("is not set by a first send", () => {
    expect(start(queued, 1).submit.hadUnknownOutcome).toBeUndefined();
  });

  it("is set when a send starts while an earlier one may exist (its run died mid-POST)", () => {
    const first = start(queued, 1); // mayExist: true, no deferral ever written
    const again = start(first, 2);
    expect(again.submit.hadUnknownOutcome).toBe(true);
  });

  it("is set by a look-up's not-found, confirmed or not", () => {
    const first = start(queued, 1);
    const once = apply(first, { type: "not-found", confirmed: false, atMs: T0 });
    expect(once.submit.hadUnknownOutcome).toBe(true);
    const twice = apply(once, { type: "not-found", confirmed: true });
    expect(twice.submit.hadUnknownOutcome).toBe(true);
    expect(twice.submit.mayExist).toBe(false);
  });

  it("makes a permanent refusal of the re-send dead, not rejected", () => {
    const first = start(queued, 1);
    const confirmed = apply(apply(first, { type: "not-found", confirmed: false, atMs: T0 }), {
      type: "not-found",
      confirmed: true,
    });
    const resent = start(confirmed, 2);
    const verdict = decideSubmitFailure({
      failure: { action: "permanent", code: "500206", reason: "no room left in the order" },
      mayExist: false,
      hadUnknownOutcome: resent.submit.hadUnknownOutcome === true,
      attemptNo: 2,
      lastAttempt: false,
    });
    expect(verdict.outcome).not.toBe("rejected");
  });

  it("is not set by a re-send after a refusal that proved nothing was sent", () => {
    const first = start(queued, 1);
    const refused = apply(first, {
      type: "submit-deferred",
      mayExist: false,
      sentAttempt: 1,
      error: { code: "ECONNREFUSED", message: "refused" },
    });
    expect(start(refused, 2).submit.hadUnknownOutcome).toBeUndefined();
  });
});
