import { describe, expect, it } from "vitest";
import { mayWriteOwnFailure } from "../../src/domain/own-failure-write.js";
import { applyRefundEvent, createRefundRecord } from "../../src/domain/refund-state.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import type { RefundEvent } from "../../src/domain/refund-state.js";

const T0 = 1_800_000_000_000;
const ME = "w1/submit-R1/1";

function apply(record: RefundRecord, event: RefundEvent, at = T0): RefundRecord {
  const t = applyRefundEvent(record, event, at);
  if (!t.changed) throw new Error(t.reason);
  return t.record;
}

const queued = createRefundRecord(
  { kind: "order", refundRequestId: "R1", prepayId: "P1", refundAmount: "1" },
  T0,
);
const started = (rec: RefundRecord, attempt: number, owner: string, leaseUntilMs: number) =>
  apply(rec, { type: "submit-started", attempt, leaseOwner: owner, leaseUntilMs });
const deferred = (rec: RefundRecord, mayExist: boolean) =>
  apply(rec, { type: "submit-deferred", mayExist, error: { code: "X", message: "x" } });

describe("mayWriteOwnFailure", () => {
  const mine = started(queued, 1, ME, T0 + 2000);

  it("writes when only a non-lease change happened (a webhook note, a not-found)", () => {
    const fresh = apply(mine, { type: "not-found", confirmed: false, atMs: T0 });
    expect(mayWriteOwnFailure(mine, fresh, ME, T0 + 10)).toBe(true);
  });

  it("leaves the record to another run whose lease is live", () => {
    const other = started(deferred(mine, false), 2, "w2/submit-R1/2", T0 + 5000);
    expect(mayWriteOwnFailure(mine, other, ME, T0 + 3000)).toBe(false);
  });

  // Found by the simulation (seed 127): a stalled run whose POST was refused wakes up after
  // a newer attempt timed out (mayExist) and cleared its own lease; writing "nothing was
  // sent" there erased the unknown outcome and the next attempt re-sent blind.
  it("leaves the record to a newer send even when its lease is over", () => {
    const newer = deferred(started(deferred(mine, false), 2, "w2/submit-R1/2", T0 + 5000), true);
    expect(newer.submit.leaseOwner).toBeUndefined();
    expect(mayWriteOwnFailure(mine, newer, ME, T0 + 9000)).toBe(false);
  });

  it("writes over its own expired lease when nobody sent since", () => {
    expect(mayWriteOwnFailure(mine, mine, ME, T0 + 60_000)).toBe(true);
  });

  it("leaves the record to another run that took the lease since, even once it expired", () => {
    // A run that stalled past its lease (issue 18): the other run may have sent or be
    // about to; its lease ending does not make this run's older view current again.
    const base = deferred(mine, true);
    const mine2 = started(base, 2, ME, T0 + 4000);
    const theirsExpired = { ...mine2, submit: { ...mine2.submit, leaseOwner: "w3/x/1" } };
    expect(mayWriteOwnFailure(mine2, theirsExpired, ME, T0 + 4001)).toBe(false);
    expect(mayWriteOwnFailure(mine2, theirsExpired, ME, T0 + 3999)).toBe(false);
  });
});
