/**
 * The state event a GatePay report means for a record in its current state. Pure: the
 * worker applies the event with the store's compare-and-set, so a late or duplicate
 * report never moves a refund backwards (refund-state.ts).
 */
import type { GatePayReport } from "./gatepay-report.js";
import type { RefundRecord } from "./refund-record.js";
import type { RefundEvent } from "./refund-state.js";

/**
 * - succeeded → `succeeded`; failed → `failed` with `REFUND_FAILED` and GatePay's reason;
 * - in progress → `accepted` (with the poll deadline `deadlineAtMs`, epoch ms) while the
 *   refund is not yet accepted (`queued`, `submitting`, `dead`): any sign of life from
 *   GatePay is acceptance and starts polling; `in-progress` after that.
 */
export function eventForReport(
  record: RefundRecord,
  report: GatePayReport,
  deadlineAtMs: number,
): RefundEvent {
  switch (report.outcome) {
    case "succeeded":
      return { type: "succeeded", answer: report.answer };
    case "failed":
      return {
        type: "failed",
        answer: report.answer,
        error: {
          code: "REFUND_FAILED",
          message:
            `GatePay reports the refund ${report.answer.status ?? "failed"}` +
            (report.answer.failReason ? `: ${report.answer.failReason}` : ""),
        },
      };
    case "in_progress":
      // Before acceptance, any sign of life from GatePay is acceptance (and starts polling).
      return record.state === "queued" || record.state === "submitting" || record.state === "dead"
        ? { type: "accepted", answer: report.answer, deadlineAtMs }
        : { type: "in-progress", answer: report.answer };
  }
}
