/**
 * Whether a GatePay answer is about *our* request. Two environments or deployments that
 * reuse a refundRequestId against one GatePay merchant see each other's refunds: a
 * details or create answer whose order, amount or currency differs from the record is
 * someone else's refund and must never settle ours (it goes `dead` with
 * {@link ANSWER_MISMATCH_CODE} for a human). Pure; compares only what GatePay sent.
 */
import { compareAmounts, isAmount } from "./amount.js";
import type { GatePayReport } from "./gatepay-report.js";
import type { RefundRequestFields } from "./refund-record.js";
import { reservedAmountOf } from "./refund-request.js";

export const ANSWER_MISMATCH_CODE = "ANSWER_MISMATCH";

/**
 * The fields where `report` contradicts `request`, with both values, or an empty list.
 * Currency is compared only for convert refunds (an order refund's currency is the
 * order's, which the request does not name).
 */
export function answerMismatches(request: RefundRequestFields, report: GatePayReport): string[] {
  const id = report.identity;
  if (!id) return [];
  const out: string[] = [];
  if (id.prepayId && id.prepayId !== request.prepayId) {
    out.push(`prepayId ${id.prepayId} (ours ${request.prepayId})`);
  }
  const ours = reservedAmountOf(request);
  // The same text is the same amount: the parse and compare are for "10.5" vs "10.50".
  const amount = id.requestAmount;
  if (amount && amount !== ours && isAmount(amount) && compareAmounts(amount, ours)) {
    out.push(`amount ${id.requestAmount} (ours ${ours})`);
  }
  if (
    request.kind === "convert" &&
    id.requestCurrency &&
    id.requestCurrency.toUpperCase() !== request.refundOrderCurrency.toUpperCase()
  ) {
    out.push(`currency ${id.requestCurrency} (ours ${request.refundOrderCurrency})`);
  }
  return out;
}

/** The `answer-mismatch` event's error for the differing fields. */
export function answerMismatchError(
  report: GatePayReport,
  mismatches: readonly string[],
): { code: string; message: string } {
  return {
    code: ANSWER_MISMATCH_CODE,
    message:
      `GatePay's ${report.answer.source} answer for this refundRequestId is about another ` +
      `request: ${mismatches.join(", ")}; not adopted (another environment reusing the id?)`,
  };
}
