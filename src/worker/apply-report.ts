/**
 * Applies what GatePay said about a refund, whoever heard it (the submit worker's POST
 * or lookup, the poll worker, the webhook receiver), through the same compare-and-set
 * transition — so a late or duplicate report never moves a refund backwards, and a
 * refund that becomes final makes every pending poll a no-op. The event a report means
 * is decided purely in src/domain/report-event.ts.
 */
import { answerMismatchError, answerMismatches } from "../domain/answer-match.js";
import type { GatePayReport } from "../domain/gatepay-report.js";
import type { RefundRecord } from "../domain/refund-record.js";
import { eventForReport } from "../domain/report-event.js";
import { pollDriver, schedulePoll } from "../jobs/schedule-poll.js";
import type { Logger } from "../logger.js";
import type { TransitionOutcome } from "../store/refund-store.js";
import type { RefundContext } from "./context.js";

/**
 * Writes the event `report` means for `record`, learns the order amount when GatePay told
 * it, and starts polling when the refund has just been accepted.
 */
export async function applyReport(
  ctx: RefundContext,
  record: RefundRecord,
  report: GatePayReport,
  log: Logger,
): Promise<TransitionOutcome> {
  if (!report.known) {
    log.warn(
      { status: report.answer.status, source: report.answer.source },
      "unrecognised GatePay refund status; treated as in progress",
    );
  }
  const mismatches = answerMismatches(record.request, report);
  if (mismatches.length > 0) {
    // Someone else's refund under our id: adopting it could mark ours succeeded.
    const error = answerMismatchError(report, mismatches);
    log.error({ code: error.code, source: report.answer.source, mismatches }, error.message);
    return ctx.store.transition(record.refundRequestId, { type: "answer-mismatch", error }, record);
  }
  const event = eventForReport(record, report, ctx.now() + ctx.settings.poll.deadlineMs);
  const firstPollMs = ctx.settings.poll.firstDelayMs;
  // GatePay told the order's amount: the over-refund guard's cap (learnOrderAmount).
  const orderAmount =
    report.orderAmount && !record.gatepay?.orderAmount
      ? { amount: report.orderAmount, currency: report.answer.orderCurrency }
      : undefined;
  // The order amount and the first poll's driver ride on the transition's own write.
  const result = await ctx.store.transition(record.refundRequestId, event, record, {
    orderAmount,
    driver: (next) =>
      next.state === "accepted" ? pollDriver(ctx, next, 1, firstPollMs) : undefined,
  });
  if (result.applied && result.attention) {
    const { code, detail } = result.attention;
    log.error(
      { attention: code, state: result.record.state, status: report.answer.status },
      `GatePay contradicts a ${result.record.state} refund: ${detail}`,
    );
    ctx.observeAttention?.(code);
  }
  if (orderAmount && !(result.applied && result.orderAmountStored)) {
    // Nothing written (or a contradiction noted): the amount is learned all the same.
    await ctx.store.learnOrderAmount(
      record.request.prepayId,
      orderAmount.amount,
      orderAmount.currency,
    );
  }
  if (result.applied && result.record.state === "accepted") {
    await schedulePoll(ctx, result.record, 1, firstPollMs, result.driver);
  }
  return result;
}
