/**
 * The submit processor: sends a refund to GatePay at most once in effect.
 *
 * The rules that keep money from moving twice (DESIGN.md, Kill Bill's "unknown" state):
 * 1. The record, not the job, decides. A job for a refund that is past `submitting`
 *    does nothing, however it got there (duplicate job, replay, stall recovery).
 * 2. Before a POST the record takes a lease (compare-and-set). While another worker's
 *    lease is live this job waits; nobody looks up or re-sends under a live lease.
 * 3. A POST whose outcome is unknown (timeout, reset, 5xx, unreadable 2xx) leaves
 *    `mayExist` set. The next attempt — or a job re-run after a crash — first asks
 *    GatePay's details endpoint, after a grace period (details may lag creation), and
 *    re-sends with the same refundRequestId only if GatePay does not know the refund.
 * 4. A business rejection is final (`rejected`, reservation released); credentials or
 *    balance problems and exhausted attempts are `dead` (replayable, re-checked first).
 */
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { RefundRecord } from "../domain/refund-record.js";
import { classifyFailure, type FailureDecision } from "../gatepay/classify-failure.js";
import type { GatePayOperation } from "../gatepay/endpoints.js";
import type { Logger } from "../logger.js";
import { reportFromCreate, reportFromDetails } from "./answers.js";
import { applyReport } from "./apply-report.js";
import type { RefundContext } from "./context.js";
import { SubmitJobData } from "./queues.js";

/** A retryable failure: BullMQ retries the job; the backoff honours `retryAfterMs`. */
export class SubmitRetryError extends Error {
  override readonly name = "SubmitRetryError";
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

export type SubmitOutcome =
  "accepted" | "found" | "finalized" | "skipped" | "missing" | "retry" | "rejected" | "dead";

const MAX_DECISION_ROUNDS = 5;

function errorInfo(d: FailureDecision): { code: string; message: string } {
  return { code: d.code ?? d.action.toUpperCase(), message: d.reason };
}

export function createSubmitProcessor(ctx: RefundContext) {
  return async function processSubmit(
    job: Job,
    token?: string,
  ): Promise<{ outcome: SubmitOutcome }> {
    const { refundRequestId } = SubmitJobData.parse(job.data);
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? ctx.settings.submitMaxAttempts;
    const log = ctx.logger.child({
      refundRequestId,
      jobId: job.id,
      attempt: `${attempt} of ${maxAttempts}`,
    });
    const startedAt = ctx.now();
    const done = (outcome: SubmitOutcome, extra: Record<string, unknown> = {}) => {
      log.info({ outcome, durationMs: ctx.now() - startedAt, ...extra }, `submit ${outcome}`);
      return { outcome };
    };
    // A lease is owned by one run of one job: a stall-recovered re-run is another owner.
    const leaseOwner = `${ctx.workerId}/${job.id ?? "?"}/${job.attemptsStarted}`;

    for (let round = 0; round < MAX_DECISION_ROUNDS; round++) {
      const record = await ctx.store.get(refundRequestId);
      if (!record) {
        log.warn("submit job for a refund with no record");
        return done("missing");
      }
      if (record.state !== "queued" && record.state !== "submitting") {
        return done("skipped", { state: record.state });
      }
      const now = ctx.now();
      const lease = record.submit;
      if (lease.leaseOwner && lease.leaseOwner !== leaseOwner && (lease.leaseUntilMs ?? 0) > now) {
        // Another run may have a POST in flight: wait for its lease, then look again.
        await job.moveToDelayed((lease.leaseUntilMs ?? now) + 50, token);
        throw new DelayedError();
      }

      if (record.submit.mayExist) {
        // Counted from the latest moment the last POST could have reached GatePay (its
        // start plus the client timeout), so a slow request does not eat the grace.
        const believeNotFoundAt =
          (record.submit.lastSentAtMs ?? 0) +
          ctx.settings.timeoutMs +
          ctx.settings.unknownOutcomeGraceMs;
        if (now < believeNotFoundAt) {
          await job.moveToDelayed(believeNotFoundAt, token);
          throw new DelayedError();
        }
        const looked = await lookUp(ctx, record, job, log, attempt >= maxAttempts);
        if (looked === "not-found") continue; // mayExist cleared: decide again, now free to send
        return done(looked);
      }

      // Send. Take the lease with a compare-and-set that is not retried: if anything
      // moved since we read the record, decide again from the top.
      await ctx.limiter.acquire();
      const started = await ctx.store.transition(
        refundRequestId,
        {
          type: "submit-started",
          attempt: record.attempts + 1,
          leaseOwner,
          leaseUntilMs: ctx.now() + ctx.settings.timeoutMs + ctx.settings.leaseMarginMs,
        },
        record,
        { retryOnConflict: false },
      );
      if (!started.applied) continue;
      return done(await send(ctx, started.record, job, log, attempt >= maxAttempts));
    }
    throw new SubmitRetryError("the refund record kept changing under this job", undefined);
  };
}

/** Looks the refund up by refundRequestId before any re-send. */
async function lookUp(
  ctx: RefundContext,
  record: RefundRecord,
  job: Job,
  log: Logger,
  lastAttempt: boolean,
): Promise<SubmitOutcome | "not-found"> {
  const id = record.refundRequestId;
  await ctx.limiter.acquire();
  let details;
  try {
    details = await ctx.client.getRefundDetails(id, { onBehalfOf: record.request.onBehalfOf });
  } catch (err) {
    // We still do not know whether GatePay has it: never send; try again later.
    const d = classifyFailure(err, "refundDetails");
    log.warn({ err, decision: d.action }, "refund lookup failed; outcome still unknown");
    return failAttempt(ctx, record, d, true, lastAttempt, job);
  }
  if (details) {
    const t = await applyReport(
      ctx,
      record,
      reportFromDetails(details, new Date(ctx.now()).toISOString()),
      log,
    );
    return t.record && (t.record.state === "succeeded" || t.record.state === "failed")
      ? "finalized"
      : "found";
  }
  const t = await ctx.store.transition(id, { type: "not-found" }, record, {
    retryOnConflict: false,
  });
  if (t.applied)
    log.info(
      "GatePay does not know the refund after the grace period; re-sending with the same id",
    );
  return "not-found";
}

/** Signs and POSTs the refund (the lease is held), then records what happened. */
async function send(
  ctx: RefundContext,
  record: RefundRecord,
  job: Job,
  log: Logger,
  lastAttempt: boolean,
): Promise<SubmitOutcome> {
  const req = record.request;
  const operation: GatePayOperation = req.kind === "convert" ? "convertRefund" : "orderRefund";
  const opts = { onBehalfOf: req.onBehalfOf };
  let result;
  try {
    result =
      req.kind === "convert"
        ? await ctx.client.createConvertRefund(
            {
              refundRequestId: req.refundRequestId,
              prepayId: req.prepayId,
              refundOrderCurrency: req.refundOrderCurrency,
              refundOrderAmount: req.refundOrderAmount,
              refundPayCurrency: req.refundPayCurrency,
              refundPayAmount: req.refundPayAmount,
              receiverId: req.receiverId,
              ...(req.refundReason === undefined ? {} : { refundReason: req.refundReason }),
            },
            opts,
          )
        : await ctx.client.createOrderRefund(
            {
              refundRequestId: req.refundRequestId,
              prepayId: req.prepayId,
              refundAmount: req.refundAmount,
              ...(req.refundReason === undefined ? {} : { refundReason: req.refundReason }),
            },
            opts,
          );
  } catch (err) {
    const d = classifyFailure(err, operation);
    log.warn({ err, decision: d.action, code: d.code }, "refund submission failed");
    return failAttempt(ctx, record, d, d.action === "unknown-outcome", lastAttempt, job);
  }
  await applyReport(ctx, record, reportFromCreate(result, new Date(ctx.now()).toISOString()), log);
  return "accepted";
}

/**
 * Records a failed attempt and tells BullMQ what to do: retry (throw), or stop
 * (UnrecoverableError after the record says `rejected` or `dead`).
 */
async function failAttempt(
  ctx: RefundContext,
  record: RefundRecord,
  d: FailureDecision,
  mayExist: boolean,
  lastAttempt: boolean,
  job: Job,
): Promise<SubmitOutcome> {
  const id = record.refundRequestId;
  const error = errorInfo(d);
  if (d.action === "permanent" && !mayExist) {
    await ctx.store.transition(id, { type: "rejected", error });
    throw new UnrecoverableError(`rejected by GatePay: ${error.code}`);
  }
  if (d.action === "halt" || d.action === "permanent" || lastAttempt) {
    const message =
      d.action === "halt" || d.action === "permanent"
        ? `${error.message} (operator action needed; replay re-checks GatePay first)`
        : `attempts exhausted (${job.attemptsMade + 1}): ${error.message}` +
          (mayExist ? "; the last outcome is unknown, replay re-checks GatePay first" : "");
    await ctx.store.transition(id, { type: "dead", error: { code: error.code, message } });
    throw new UnrecoverableError(`dead: ${error.code}`);
  }
  await ctx.store.transition(id, { type: "submit-deferred", mayExist, error });
  const retryAfterMs =
    d.action === "retry-after" || d.action === "unknown-outcome" ? d.delayMs : undefined;
  throw new SubmitRetryError(`${error.code}: ${error.message}`, retryAfterMs);
}
