/**
 * Applies what GatePay said about a refund, whoever heard it (the submit worker's POST
 * or lookup, the poll worker, the webhook receiver), through the same compare-and-set
 * transition — so a late or duplicate report never moves a refund backwards, and a
 * refund that becomes final makes every pending poll a no-op.
 */
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundEvent } from "../domain/refund-state.js";
import type { Logger } from "../logger.js";
import { pollJobId, submitJobId } from "../store/keys.js";
import type { TransitionOutcome } from "../store/refund-store.js";
import type { GatePayReport } from "./answers.js";
import type { RefundContext } from "./context.js";
import { pollJobOptions, submitJobOptions } from "./queues.js";

/** The event a report means for a record in its current state. */
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
  const event = eventForReport(record, report, ctx.now() + ctx.settings.poll.deadlineMs);
  const result = await ctx.store.transition(record.refundRequestId, event, record);
  if (report.orderAmount && !record.gatepay?.orderAmount) {
    await ctx.store.learnOrderAmount(record.request.prepayId, report.orderAmount);
  }
  if (result.applied && result.record.state === "accepted") {
    await schedulePoll(ctx, result.record, 1, ctx.settings.poll.firstDelayMs);
  }
  return result;
}

/** Adds poll job n for a refund (idempotent by job id) and notes it as the driver. */
export async function schedulePoll(
  ctx: Pick<RefundContext, "queues" | "store" | "now">,
  record: RefundRecord,
  pollNumber: number,
  delayMs: number,
): Promise<void> {
  const jobId = pollJobId(record.refundRequestId, pollNumber, record.submit.generation);
  await ctx.queues.poll.add(
    "poll",
    { refundRequestId: record.refundRequestId, pollNumber },
    pollJobOptions(jobId, delayMs),
  );
  await ctx.store.setDriver(record.refundRequestId, jobId, ctx.now() + delayMs);
}

/**
 * Adds the submit job of a refund's current generation (idempotent by job id). The
 * reconciler derives the same id from the record, so no driver note is needed.
 */
export async function scheduleSubmit(
  ctx: { queues: RefundContext["queues"]; settings: { submitMaxAttempts: number } },
  record: RefundRecord,
): Promise<void> {
  const jobId = submitJobId(record.refundRequestId, record.submit.generation);
  await ctx.queues.submit.add(
    "submit",
    { refundRequestId: record.refundRequestId },
    submitJobOptions(jobId, ctx.settings.submitMaxAttempts),
  );
}
