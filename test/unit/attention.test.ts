/**
 * Contradictions between GatePay and a terminal record (domain/attention.ts): the state
 * stays, the contradiction is noted once.
 */
import { describe, expect, it } from "vitest";
import type { GatePayAnswer, RefundRecord } from "../../src/domain/refund-record.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import {
  applyRefundEvent,
  createRefundRecord,
  type RefundEvent,
} from "../../src/domain/refund-state.js";

const T0 = Date.UTC(2026, 0, 1);
const request = parseRefundRequest({ refundRequestId: "r-1", prepayId: "p-1", refundAmount: "5" });

function answer(status: string, source: GatePayAnswer["source"] = "details"): GatePayAnswer {
  return { source, at: new Date(T0).toISOString(), status };
}

function drive(events: RefundEvent[]): RefundRecord {
  let record = createRefundRecord(request, T0);
  for (const e of events) {
    const r = applyRefundEvent(record, e, T0);
    if (!r.changed) throw new Error(`fixture: ${r.reason}`);
    record = r.record;
  }
  return record;
}

const started: RefundEvent = {
  type: "submit-started",
  attempt: 1,
  leaseOwner: "w",
  leaseUntilMs: T0 + 1000,
};
const rejected = drive([
  started,
  { type: "rejected", error: { code: "400608", message: "refund exceeds order" } },
]);
const accepted: RefundEvent = {
  type: "accepted",
  answer: answer("PROCESSING", "create"),
  deadlineAtMs: T0 + 1e6,
};
const failed = drive([started, accepted, { type: "failed", answer: answer("FAIL") }]);
const succeeded = drive([started, accepted, { type: "succeeded", answer: answer("SUCCESS") }]);

describe("attention on terminal records", () => {
  it("a success after a refusal keeps the state and notes SUCCESS_AFTER_REFUSAL once", () => {
    const r = applyRefundEvent(
      rejected,
      { type: "succeeded", answer: answer("REFUND_SUCCESS", "webhook") },
      T0 + 5,
    );
    expect(r.changed).toBe(true);
    if (!r.changed) return;
    expect(r.record.state).toBe("rejected");
    expect(r.attention?.code).toBe("SUCCESS_AFTER_REFUSAL");
    expect(r.record.attention).toMatchObject({
      code: "SUCCESS_AFTER_REFUSAL",
      at: new Date(T0 + 5).toISOString(),
    });
    expect(r.record.attention?.detail).toContain("400608");
    expect(r.record.version).toBe(rejected.version + 1);
    expect(r.record.history.at(-1)).toMatchObject({ event: "attention", state: "rejected" });
    // A redelivery of the same report notes nothing more.
    const again = applyRefundEvent(
      r.record,
      { type: "succeeded", answer: answer("REFUND_SUCCESS", "webhook") },
      T0 + 6,
    );
    expect(again.changed).toBe(false);
  });

  it("progress reported for a rejected refund is PROGRESS_AFTER_REFUSAL", () => {
    const r = applyRefundEvent(rejected, { type: "in-progress", answer: answer("PROCESSING") }, T0);
    expect(r.changed && r.attention?.code).toBe("PROGRESS_AFTER_REFUSAL");
  });

  it("a success reported for a failed refund is SUCCESS_AFTER_REFUSAL", () => {
    const r = applyRefundEvent(failed, { type: "succeeded", answer: answer("SUCCESS") }, T0);
    expect(r.changed && r.record.state === "failed" && r.attention?.code).toBe(
      "SUCCESS_AFTER_REFUSAL",
    );
  });

  it("a late REFUND_PROCESS webhook after a failure is reordering, not a contradiction", () => {
    const r = applyRefundEvent(
      failed,
      { type: "in-progress", answer: answer("REFUND_PROCESS", "webhook") },
      T0,
    );
    expect(r.changed).toBe(false);
  });

  it("a failure reported for a succeeded refund is FAILURE_AFTER_SUCCESS", () => {
    const r = applyRefundEvent(succeeded, { type: "failed", answer: answer("FAIL") }, T0);
    expect(r.changed && r.record.state === "succeeded" && r.attention?.code).toBe(
      "FAILURE_AFTER_SUCCESS",
    );
  });

  it("consistent reports change nothing", () => {
    expect(
      applyRefundEvent(succeeded, { type: "succeeded", answer: answer("SUCCESS") }, T0),
    ).toMatchObject({ changed: false });
    expect(applyRefundEvent(failed, { type: "failed", answer: answer("FAIL") }, T0)).toMatchObject({
      changed: false,
    });
    expect(
      applyRefundEvent(rejected, { type: "failed", answer: answer("FAIL") }, T0),
    ).toMatchObject({ changed: false });
  });
});
