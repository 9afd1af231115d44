import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyRefundStatus,
  type RefundOutcome,
  type RefundStatusSource,
} from "../../src/gatepay/refund-status.js";

type Row = [RefundStatusSource, string | null | undefined, RefundOutcome, boolean];

const TABLE: Row[] = [
  ["v2", "SUCCESS", "succeeded", true],
  ["v2", " success ", "succeeded", true],
  ["v2", "FAIL", "failed", true],
  ["v2", "FAILED", "failed", true],
  ["v2", "REJECTED", "failed", true],
  ["v2", "refund_rejected", "failed", true],
  ["v2", "PARTIAL_FAILURE", "failed", true],
  ["v2", "PROCESSING", "in_progress", true],
  ["v2", "process", "in_progress", true],
  ["v2", "PENDING", "in_progress", true],
  ["v2", "INIT", "in_progress", true],
  ["v2", "REFUNDING", "in_progress", true],
  ["v2", "SETTLING", "in_progress", false],
  ["v2", "PARTIAL_SUCCESS", "in_progress", false],
  ["v2", "REFUND_SUCCESS", "in_progress", false],
  ["v2", "", "in_progress", false],
  ["v2", null, "in_progress", false],
  ["v2", undefined, "in_progress", false],
  ["v1", "SUCCESS", "succeeded", true],
  ["v1", "FAIL", "failed", true],
  ["v1", "PROCESS", "in_progress", true],
  ["v1", "WAITING", "in_progress", false],
  ["webhook", "REFUND_SUCCESS", "succeeded", true],
  ["webhook", "refund_success", "succeeded", true],
  ["webhook", "REFUND_REJECTED", "failed", true],
  ["webhook", "REFUND_PROCESS", "in_progress", true],
  ["webhook", "SUCCESS", "in_progress", false],
  ["webhook", "REFUND_FAILED", "failed", true],
];

describe("classifyRefundStatus", () => {
  it.each(TABLE)("%s %j → %s (known %s)", (source, status, outcome, known) => {
    const result = classifyRefundStatus(source, status);
    expect(result).toEqual({
      outcome,
      known,
      raw: typeof status === "string" ? status.trim() : "",
    });
  });

  it("a failure reason with a non-success status is a failure", () => {
    expect(classifyRefundStatus("v2", "PROCESSING", { failReason: "chain error" }).outcome).toBe(
      "failed",
    );
    expect(classifyRefundStatus("v2", undefined, { failReason: "x" }).outcome).toBe("failed");
    expect(classifyRefundStatus("v2", "WHATEVER", { failReason: "x" })).toEqual({
      outcome: "failed",
      known: true,
      raw: "WHATEVER",
    });
  });

  it("success wins over a failure reason, and a blank reason is no reason", () => {
    expect(classifyRefundStatus("v2", "SUCCESS", { failReason: "stale text" }).outcome).toBe(
      "succeeded",
    );
    expect(classifyRefundStatus("v2", "PROCESSING", { failReason: "  " }).outcome).toBe(
      "in_progress",
    );
  });

  it("is total and conservative: only the exact success value succeeds", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<RefundStatusSource>("v2", "v1", "webhook"),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        (source, status, failReason) => {
          const r = classifyRefundStatus(
            source,
            status,
            failReason === undefined ? undefined : { failReason },
          );
          expect(["in_progress", "succeeded", "failed"]).toContain(r.outcome);
          const upper = (status ?? "").trim().toUpperCase();
          const success = source === "webhook" ? "REFUND_SUCCESS" : "SUCCESS";
          if (r.outcome === "succeeded") expect(upper).toBe(success);
          if (upper.includes("FAIL") || upper.includes("REJECT")) expect(r.outcome).toBe("failed");
          if (!r.known) expect(r.outcome).toBe("in_progress");
        },
      ),
    );
  });

  it("never throws on junk input", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (source, status, opts) => {
        const r = classifyRefundStatus(
          source as RefundStatusSource,
          status as string,
          opts as { failReason?: string },
        );
        expect(typeof r.raw).toBe("string");
      }),
    );
  });
});
