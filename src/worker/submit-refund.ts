/**
 * The submit processor: sends a refund to GatePay at most once in effect.
 *
 * The rules that keep money from moving twice (DESIGN.md, Kill Bill's "unknown" state):
 * 1. The record, not the job, decides. A job for a refund that is past `submitting`
 *    does nothing, however it got there (duplicate job, replay, stall recovery).
 * 2. Before a POST the record takes a lease (compare-and-set), on Redis's clock so that
 *    workers on machines with skewed clocks agree. While another run's lease is live this
 *    job waits; nobody looks up or re-sends under a live lease.
 * 3. A fence: if this process stalled between reading the clock and its lease landing
 *    (a GC pause, an offline Redis queue replayed on reconnect), part of the lease is
 *    already spent and another run may act soon, so it does not send at all.
 * 4. A POST whose outcome is unknown (timeout, reset, 5xx, unreadable 2xx) leaves
 *    `mayExist` set. The next attempt — or a job re-run after a crash — first asks
 *    GatePay's details endpoint, no earlier than the request timeout plus a grace period
 *    after the send. A "not found" is believed only when a second lookup, at least the
 *    grace period later, says it again (GatePay's read side may lag, gatepay-api.md
 *    §6.5); only then is the refund re-sent, with the same refundRequestId.
 * 5. A business rejection is final (`rejected`, reservation released) only when no
 *    earlier attempt had an unknown outcome; otherwise it may be GatePay refusing a
 *    second copy of a refund it already made, and the refund is looked up again.
 *    Credentials or balance problems and exhausted attempts are `dead` (replayable, and
 *    a replay looks GatePay up first).
 */
import { performance } from "node:perf_hooks";
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundEvent } from "../domain/refund-state.js";
import { classifyFailure, type FailureDecision } from "../gatepay/classify-failure.js";
import type { GatePayOperation } from "../gatepay/endpoints.js";
import type { Logger } from "../logger.js";
import type { TransitionOutcome } from "../store/refund-store.js";
import { reportFromCreate, reportFromDetails } from "./answers.js";
import { applyReport, schedulePoll } from "./apply-report.js";
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

/**
 * The account every call about this refund uses: fixed at the first send and kept in
 * the record, so a later change of GATEPAY_ON_BEHALF_OF cannot send a lookup to the
 * wrong account (and read its "not found" as permission to re-send).
 */
function accountOf(ctx: RefundContext, record: RefundRecord): string | null {
  if (record.submit.onBehalfOf !== undefined) return record.submit.onBehalfOf;
  return record.request.onBehalfOf ?? ctx.client.onBehalfOf ?? null;
}

/** Waits (without using an attempt) until `atMs` on the shared clock, then runs again. */
async function waitUntil(
  job: Job,
  token: string | undefined,
  atMs: number,
  nowMs: number,
): Promise<never> {
  // BullMQ reads the delay on the local clock: convert from the shared one.
  await job.moveToDelayed(Date.now() + Math.max(0, atMs - nowMs) + 10, token);
  throw new DelayedError();
}

interface Attempt {
  ctx: RefundContext;
  job: Job;
  token: string | undefined;
  log: Logger;
  lastAttempt: boolean;
  leaseOwner: string;
}

export function createSubmitProcessor(ctx: RefundContext) {
  return async function processSubmit(
    job: Job,
    token?: string,
  ): Promise<{ outcome: SubmitOutcome }> {
    const { refundRequestId } = SubmitJobData.parse(job.data);
    const attemptNo = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? ctx.settings.submitMaxAttempts;
    const log = ctx.logger.child({
      refundRequestId,
      jobId: job.id,
      attempt: `${attemptNo} of ${maxAttempts}`,
    });
    const startedAt = ctx.now();
    const done = (outcome: SubmitOutcome, extra: Record<string, unknown> = {}) => {
      log.info({ outcome, durationMs: ctx.now() - startedAt, ...extra }, `submit ${outcome}`);
      return { outcome };
    };
    const run: Attempt = {
      ctx,
      job,
      token,
      log,
      lastAttempt: attemptNo >= maxAttempts,
      // A lease is owned by one run of one job: a stall-recovered re-run is another owner.
      leaseOwner: `${ctx.workerId}/${job.id ?? "?"}/${job.attemptsStarted}`,
    };

    for (let round = 0; round < MAX_DECISION_ROUNDS; round++) {
      const record = await ctx.store.get(refundRequestId);
      if (!record) {
        log.warn("submit job for a refund with no record");
        return done("missing");
      }
      if (record.state === "accepted" && record.poll) {
        // A run killed between the `accepted` write and adding the first poll job leaves
        // this job to be re-run (stalled): make sure polling starts. Poll job ids are
        // deterministic, so when the poll exists this adds nothing.
        const dueAt = record.poll.acceptedAtMs + ctx.settings.poll.firstDelayMs;
        await schedulePoll(ctx, record, 1, Math.max(0, dueAt - ctx.now()));
        return done("skipped", { state: record.state });
      }
      if (record.state !== "queued" && record.state !== "submitting") {
        return done("skipped", { state: record.state });
      }
      const now = await ctx.store.sharedNowMs();
      const s = record.submit;
      if (s.leaseOwner && s.leaseOwner !== run.leaseOwner && (s.leaseUntilMs ?? 0) > now) {
        // Another run may have a POST in flight: wait for its lease, then look again.
        return waitUntil(job, token, s.leaseUntilMs ?? now, now);
      }

      if (s.mayExist) {
        // Counted from the latest moment the last POST could have reached GatePay.
        const lookAt =
          (s.lastSentAtMs ?? 0) + ctx.settings.timeoutMs + ctx.settings.unknownOutcomeGraceMs;
        if (now < lookAt) return waitUntil(job, token, lookAt, now);
        const looked = await lookUp(run, record, now);
        if (looked === "re-send") continue; // mayExist cleared: decide again, now free to send
        return done(looked);
      }

      // Send. Take the lease with a compare-and-set that is not retried: if anything
      // moved since we read the record, decide again from the top.
      await ctx.limiter.acquire();
      const leaseAt = await ctx.store.sharedNowMs();
      const fenceStart = performance.now();
      const started = await ctx.store.transition(
        refundRequestId,
        {
          type: "submit-started",
          attempt: record.attempts + 1,
          leaseOwner: run.leaseOwner,
          leaseUntilMs: leaseAt + ctx.settings.timeoutMs + ctx.settings.leaseMarginMs,
          sentAtMs: leaseAt,
          onBehalfOf: accountOf(ctx, record),
        },
        record,
        { retryOnConflict: false },
      );
      if (!started.applied) continue;
      const lostMs = performance.now() - fenceStart;
      if (lostMs > ctx.settings.leaseMarginMs / 2) {
        log.warn({ lostMs }, "lease landed late (process or Redis stalled); not sending");
        return done(
          await failAttempt(
            run,
            started.record,
            {
              action: "unknown-outcome",
              code: "LEASE_FENCE",
              reason: `the submit lease took ${Math.round(lostMs)} ms to land; the POST was not sent, the refund is looked up before any send`,
            },
            true,
          ),
        );
      }
      return done(await send(run, started.record));
    }
    throw new SubmitRetryError("the refund record kept changing under this job", undefined);
  };
}

/**
 * Looks the refund up by refundRequestId before any re-send. Returns what happened, or
 * "re-send" when GatePay has now twice (a grace period apart) said it does not know it.
 */
async function lookUp(
  run: Attempt,
  record: RefundRecord,
  now: number,
): Promise<SubmitOutcome | "re-send"> {
  const { ctx, log } = run;
  const id = record.refundRequestId;
  await ctx.limiter.acquire();
  let details;
  try {
    details = await ctx.client.getRefundDetails(id, {
      onBehalfOf: accountOf(ctx, record),
      timeoutMs: ctx.settings.timeoutMs,
    });
  } catch (err) {
    // We still do not know whether GatePay has it: never send; try again later.
    const d = classifyFailure(err, "refundDetails");
    log.warn({ err, decision: d.action }, "refund lookup failed; outcome still unknown");
    return failAttempt(run, record, d, true);
  }
  if (details) {
    const at = new Date(ctx.now()).toISOString();
    const t = await applyReport(ctx, record, reportFromDetails(details, at), log);
    const state = t.record?.state;
    return state === "succeeded" || state === "failed" ? "finalized" : "found";
  }
  const first = record.submit.notFoundAtMs;
  const grace = ctx.settings.unknownOutcomeGraceMs;
  if (first !== undefined && now - first >= grace) {
    const t = await ctx.store.transition(id, { type: "not-found", confirmed: true }, record, {
      retryOnConflict: false,
    });
    if (t.applied) {
      log.info("GatePay twice said it does not know the refund; re-sending with the same id");
    }
    return "re-send";
  }
  if (first === undefined) {
    await ctx.store.transition(id, { type: "not-found", confirmed: false, atMs: now }, record, {
      retryOnConflict: false,
    });
  }
  log.info("GatePay does not know the refund yet; asking again after the grace period");
  return waitUntil(run.job, run.token, (first ?? now) + grace, now);
}

/** Signs and POSTs the refund (the lease is held), then records what happened. */
async function send(run: Attempt, record: RefundRecord): Promise<SubmitOutcome> {
  const { ctx, log } = run;
  const req = record.request;
  const operation: GatePayOperation = req.kind === "convert" ? "convertRefund" : "orderRefund";
  // The client's own timeout must not outlive the lease: pass ours explicitly.
  const opts = { onBehalfOf: accountOf(ctx, record), timeoutMs: ctx.settings.timeoutMs };
  const reason = req.refundReason === undefined ? {} : { refundReason: req.refundReason };
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
              ...reason,
            },
            opts,
          )
        : await ctx.client.createOrderRefund(
            {
              refundRequestId: req.refundRequestId,
              prepayId: req.prepayId,
              refundAmount: req.refundAmount,
              ...reason,
            },
            opts,
          );
  } catch (err) {
    const d = classifyFailure(err, operation);
    log.warn({ err, decision: d.action, code: d.code }, "refund submission failed");
    return failAttempt(run, record, d, d.action === "unknown-outcome");
  }
  await applyReport(ctx, record, reportFromCreate(result, new Date(ctx.now()).toISOString()), log);
  return "accepted";
}

/**
 * Writes `event` against the run's own view of the record. If the record moved, it is
 * applied to the fresh record only when no other run holds a live lease there — a
 * failing run must never clear another run's lease.
 */
async function writeOwn(
  run: Attempt,
  record: RefundRecord,
  event: RefundEvent,
): Promise<TransitionOutcome | undefined> {
  const { ctx } = run;
  const id = record.refundRequestId;
  const t = await ctx.store.transition(id, event, record, { retryOnConflict: false });
  if (t.applied || t.reason !== "conflict" || !t.record) return t;
  const fresh = t.record;
  const now = await ctx.store.sharedNowMs();
  const other = fresh.submit.leaseOwner;
  if (other && other !== run.leaseOwner && (fresh.submit.leaseUntilMs ?? 0) > now) {
    run.log.info({ leaseOwner: other }, "another run holds the lease; leaving the record to it");
    return undefined;
  }
  return ctx.store.transition(id, event, fresh);
}

/**
 * Records a failed attempt and tells BullMQ what to do: retry (throw), or stop
 * (UnrecoverableError after the record says `rejected` or `dead`).
 */
async function failAttempt(
  run: Attempt,
  record: RefundRecord,
  d: FailureDecision,
  mayExist: boolean,
): Promise<SubmitOutcome> {
  const error = errorInfo(d);
  const unknownBefore = record.submit.hadUnknownOutcome === true;
  if (d.action === "permanent" && !mayExist && !unknownBefore) {
    await writeOwn(run, record, { type: "rejected", error });
    throw new UnrecoverableError(`rejected by GatePay: ${error.code}`);
  }
  // A "permanent" answer to a re-send after an unknown outcome may be GatePay refusing
  // a second copy of a refund it already made (500206: the first used the room):
  // treat it as unknown and look the refund up again.
  const action = d.action === "permanent" ? "unknown-outcome" : d.action;
  const stillMayExist = mayExist || d.action === "permanent";
  if (action === "halt" || run.lastAttempt) {
    const message =
      action === "halt"
        ? `${error.message} (operator action needed; replay re-checks GatePay first)`
        : `attempts exhausted (${run.job.attemptsMade + 1}): ${error.message}` +
          (stillMayExist || unknownBefore
            ? "; the outcome of an earlier send is unknown, replay re-checks GatePay first"
            : "");
    await writeOwn(run, record, { type: "dead", error: { code: error.code, message } });
    throw new UnrecoverableError(`dead: ${error.code}`);
  }
  await writeOwn(run, record, { type: "submit-deferred", mayExist: stillMayExist, error });
  const retryAfterMs =
    d.action === "retry-after" || d.action === "unknown-outcome" ? d.delayMs : undefined;
  throw new SubmitRetryError(`${error.code}: ${error.message}`, retryAfterMs);
}
