/**
 * The poll processor: asks GatePay's v2 details endpoint how an accepted refund is doing,
 * until it is final or the deadline passes (`stuck`). Polls are a chain of delayed jobs
 * with deterministic ids (`poll-<id>-<n>`), so a re-run never doubles the chain.
 *
 * A poll never re-sends anything: a refund GatePay accepted but does not show yet
 * (details answer "not found" while lagging, gatepay-api.md §6.5) is simply polled again.
 */
import type { Job } from "bullmq";
import { refundAccountOf } from "../domain/refund-account.js";
import { classifyFailure } from "../gatepay/classify-failure.js";
import { reportFromDetails } from "../gatepay/refund-report.js";
import { readPollJobData } from "../jobs/job-data.js";
import { schedulePoll } from "../jobs/schedule-poll.js";
import { applyReport } from "./apply-report.js";
import type { RefundContext } from "./context.js";
import { planNextPoll } from "./poll-schedule.js";

export type PollOutcome = "final" | "in-progress" | "not-visible" | "error" | "stuck" | "skipped";

export function createPollProcessor(ctx: RefundContext) {
  return async function processPoll(job: Job): Promise<{ outcome: PollOutcome }> {
    const { refundRequestId, pollNumber } = readPollJobData(job.data);
    const log = ctx.logger.child({ refundRequestId, jobId: job.id, poll: pollNumber });
    const startedAt = ctx.now();
    const done = (outcome: PollOutcome, extra: Record<string, unknown> = {}) => {
      log.info({ outcome, durationMs: ctx.now() - startedAt, ...extra }, `poll ${outcome}`);
      return { outcome };
    };

    let record = await ctx.store.get(refundRequestId);
    // Final (a webhook may have settled it), replayed, or gone: this poll has no work.
    if (!record || (record.state !== "accepted" && record.state !== "processing") || !record.poll) {
      return done("skipped", { state: record?.state });
    }

    let outcome: PollOutcome;
    await ctx.limiter.acquire();
    try {
      // The account the refund was sent under, not GATEPAY_ON_BEHALF_OF as it is now.
      const details = await ctx.client.getRefundDetails(refundRequestId, {
        onBehalfOf: refundAccountOf(record, ctx.client.onBehalfOf),
      });
      if (details === null) {
        outcome = "not-visible";
      } else {
        const t = await applyReport(
          ctx,
          record,
          reportFromDetails(details, new Date(ctx.now()).toISOString()),
          log,
        );
        if (t.record) record = t.record;
        if (record.state !== "accepted" && record.state !== "processing") {
          return done("final", { state: record.state, status: details.status });
        }
        outcome = "in-progress";
      }
    } catch (err) {
      // A failed status read moves no money: note it and poll again on schedule.
      const d = classifyFailure(err, "refundDetails");
      log.warn({ err, decision: d.action, code: d.code }, "refund status poll failed");
      outcome = "error";
    }

    const poll = record.poll;
    if (!poll) return done(outcome);
    const plan = planNextPoll(
      {
        pollNumber: pollNumber + 1,
        acceptedAtMs: poll.acceptedAtMs,
        nowMs: ctx.now(),
        firstDelayMs: ctx.settings.poll.firstDelayMs,
        maxDelayMs: ctx.settings.poll.maxDelayMs,
        deadlineMs: poll.deadlineAtMs - poll.acceptedAtMs,
      },
      ctx.random,
    );
    if (plan.action === "deadline") {
      const t = await ctx.store.transition(refundRequestId, {
        type: "stuck",
        error: {
          code: "POLL_DEADLINE",
          message: `no final status from GatePay by the poll deadline (${new Date(poll.deadlineAtMs).toISOString()}); needs a human`,
        },
      });
      return done(t.applied ? "stuck" : "skipped", { state: t.record?.state });
    }
    await schedulePoll(ctx, record, pollNumber + 1, plan.delayMs);
    return done(outcome, { nextPollInMs: plan.delayMs });
  };
}
