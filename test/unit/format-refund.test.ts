/** What `gatepay-refunds status ID` prints for a refund GatePay contradicts. */
import { describe, expect, it } from "vitest";
import { formatRefund } from "../../src/cli/format-refund.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { applyRefundEvent, createRefundRecord } from "../../src/domain/refund-state.js";

describe("formatRefund", () => {
  it("shows the attention a contradiction noted, with its code and detail", () => {
    const T0 = Date.UTC(2026, 0, 1);
    let record = createRefundRecord(
      parseRefundRequest({ refundRequestId: "r-1", prepayId: "p-1", refundAmount: "5" }),
      T0,
    );
    for (const event of [
      { type: "submit-started", attempt: 1, leaseOwner: "w", leaseUntilMs: T0 + 1 },
      { type: "rejected", error: { code: "400608", message: "exceeds order" } },
      { type: "succeeded", answer: { source: "webhook", at: "x", status: "REFUND_SUCCESS" } },
    ] as const) {
      const r = applyRefundEvent(record, event, T0);
      if (!r.changed) throw new Error(r.reason);
      record = r.record;
    }
    const text = formatRefund(record);
    expect(text).toMatch(/^ATTENTION +SUCCESS_AFTER_REFUSAL: GatePay reports REFUND_SUCCESS/m);
    const { attention: _a, ...plain } = record;
    expect(formatRefund(plain)).not.toContain("ATTENTION");
  });
});
