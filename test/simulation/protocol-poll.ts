/**
 * The poll and webhook sides of the simulated worker, step for step as
 * src/worker/poll-refund.ts and src/worker/webhook-receiver.ts (after the signature
 * check) do them: the real poll schedule (planNextPoll), the real report readers and
 * the same compare-and-set path as the submit worker (apply-report.ts).
 */
import { reportFromDetails, reportFromWebhook } from "../../src/gatepay/refund-report.js";
import { planNextPoll } from "../../src/worker/poll-schedule.js";
import { applyReport, io, read, transition, wait, type Gen, type ProtocolCtx } from "./protocol.js";

/** poll-refund.ts `processPoll`. */
export function* pollRun(ctx: ProtocolCtx, id: string, pollNumber: number): Gen<string> {
  let stored = yield* read(ctx, id);
  if (
    !stored ||
    (stored.rec.state !== "accepted" && stored.rec.state !== "processing") ||
    !stored.rec.poll
  ) {
    return "skipped";
  }
  const res = yield* wait("GET details", ctx.details(id));
  let outcome = "error";
  if (res.ok && res.value === null) outcome = "not-visible";
  if (res.ok && res.value) {
    const t = yield* applyReport(
      ctx,
      stored,
      reportFromDetails(res.value, new Date(ctx.localNow()).toISOString()),
    );
    if (t.stored) stored = t.stored;
    if (stored.rec.state !== "accepted" && stored.rec.state !== "processing") return "final";
    outcome = "in-progress";
  }
  const poll = stored.rec.poll;
  if (!poll) return outcome;
  const plan = planNextPoll(
    {
      pollNumber: pollNumber + 1,
      acceptedAtMs: poll.acceptedAtMs,
      nowMs: ctx.localNow(),
      firstDelayMs: ctx.settings.pollFirstDelayMs,
      maxDelayMs: ctx.settings.pollMaxDelayMs,
      deadlineMs: poll.deadlineAtMs - poll.acceptedAtMs,
    },
    () => ctx.random(),
  );
  if (plan.action === "deadline") {
    const t = yield* transition(
      ctx,
      id,
      {
        type: "stuck",
        error: { code: "POLL_DEADLINE", message: "no final status by the poll deadline" },
      },
      null,
    );
    return t.applied ? "stuck" : "skipped";
  }
  yield* io("add poll job");
  ctx.schedulePoll(id, pollNumber + 1, plan.delayMs);
  return outcome;
}

/** webhook-receiver.ts after the signature check: apply the report, then ack. */
export function* webhookRun(
  ctx: ProtocolCtx,
  id: string,
  bizStatus: string,
  gateRefundId: string,
): Gen<void> {
  const stored = yield* read(ctx, id);
  if (!stored) return;
  const report = reportFromWebhook(
    { bizStatus, bizId: gateRefundId },
    new Date(ctx.localNow()).toISOString(),
  );
  yield* applyReport(ctx, stored, report);
}
