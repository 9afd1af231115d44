import { describe, expect, it } from "vitest";
import {
  reportGatePayAnswer,
  type GatePayReport,
  type ReportedOutcome,
} from "../../src/domain/gatepay-report.js";
import {
  REFUND_STATES,
  type RefundRecord,
  type RefundState,
} from "../../src/domain/refund-record.js";
import { eventForReport } from "../../src/domain/report-event.js";
import { applyRefundEvent, type RefundEvent } from "../../src/domain/refund-state.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const AT = new Date(T0).toISOString();
const DEADLINE = T0 + 86_400_000;

function recordIn(state: RefundState): RefundRecord {
  return {
    refundRequestId: "r-1",
    kind: "order",
    request: { kind: "order", refundRequestId: "r-1", prepayId: "p-1", refundAmount: "10" },
    state,
    attempts: 1,
    history: [],
    createdAt: AT,
    updatedAt: AT,
    submit: { mayExist: false, generation: 0 },
    version: 1,
  };
}

function report(outcome: ReportedOutcome, status?: string, failReason?: string): GatePayReport {
  return reportGatePayAnswer({
    source: "details",
    at: AT,
    status,
    failReason,
    outcome,
    known: true,
  });
}

/** The event type each outcome means from each state. */
const TABLE: Record<ReportedOutcome, Record<RefundState, RefundEvent["type"]>> = {
  in_progress: {
    queued: "accepted",
    submitting: "accepted",
    dead: "accepted",
    accepted: "in-progress",
    processing: "in-progress",
    stuck: "in-progress",
    succeeded: "in-progress",
    failed: "in-progress",
    rejected: "in-progress",
  },
  succeeded: Object.fromEntries(REFUND_STATES.map((s) => [s, "succeeded"])) as Record<
    RefundState,
    "succeeded"
  >,
  failed: Object.fromEntries(REFUND_STATES.map((s) => [s, "failed"])) as Record<
    RefundState,
    "failed"
  >,
};

describe("eventForReport", () => {
  const rows = (Object.keys(TABLE) as ReportedOutcome[]).flatMap((outcome) =>
    REFUND_STATES.map((state) => ({ outcome, state, type: TABLE[outcome][state] })),
  );
  it.each(rows)("$outcome from $state → $type", ({ outcome, state, type }) => {
    const event = eventForReport(recordIn(state), report(outcome, "X"), DEADLINE);
    expect(event.type).toBe(type);
    if (event.type === "accepted") expect(event.deadlineAtMs).toBe(DEADLINE);
  });

  it("a failure carries REFUND_FAILED with GatePay's status and reason", () => {
    expect(
      eventForReport(recordIn("processing"), report("failed", "FAIL", "address invalid"), DEADLINE),
    ).toEqual({
      type: "failed",
      answer: { source: "details", at: AT, status: "FAIL", failReason: "address invalid" },
      error: { code: "REFUND_FAILED", message: "GatePay reports the refund FAIL: address invalid" },
    });
    expect(eventForReport(recordIn("processing"), report("failed"), DEADLINE)).toMatchObject({
      error: { code: "REFUND_FAILED", message: "GatePay reports the refund failed" },
    });
  });

  it("never moves a refund backwards through the state machine", () => {
    const RANK: Record<RefundState, number> = {
      queued: 0,
      dead: 0,
      submitting: 1,
      accepted: 2,
      stuck: 2,
      processing: 3,
      succeeded: 4,
      failed: 4,
      rejected: 4,
    };
    for (const { outcome, state } of rows) {
      const record = recordIn(state);
      const t = applyRefundEvent(
        record,
        eventForReport(record, report(outcome, "X"), DEADLINE),
        T0,
      );
      expect(RANK[t.record.state]).toBeGreaterThanOrEqual(RANK[state]);
    }
  });
});

describe("reportGatePayAnswer", () => {
  it("keeps only what GatePay said, in order, and carries the order amount", () => {
    const r = reportGatePayAnswer({
      source: "details",
      at: AT,
      status: "SUCCESS",
      gateRefundId: "",
      orderAmount: "25.5",
      refundAmount: "10",
      currency: undefined,
      failReason: undefined,
      outcome: "succeeded",
      known: true,
    });
    expect(r).toEqual({
      answer: {
        source: "details",
        at: AT,
        status: "SUCCESS",
        orderAmount: "25.5",
        refundAmount: "10",
      },
      outcome: "succeeded",
      known: true,
      orderAmount: "25.5",
    });
    expect(Object.keys(r.answer)).toEqual([
      "source",
      "at",
      "status",
      "orderAmount",
      "refundAmount",
    ]);
  });

  it("has no order amount when GatePay sent none or an empty one", () => {
    for (const orderAmount of [undefined, ""]) {
      const r = reportGatePayAnswer({
        source: "webhook",
        at: AT,
        orderAmount,
        outcome: "in_progress",
        known: false,
      });
      expect(r).toEqual({
        answer: { source: "webhook", at: AT },
        outcome: "in_progress",
        known: false,
      });
      expect("orderAmount" in r).toBe(false);
    }
  });
});
