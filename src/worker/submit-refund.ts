/**
 * The submit processor: sends a refund to GatePay at most once in effect.
 *
 * Each round reads the record, asks the pure decision (src/domain/submit-decision.ts)
 * what to do — skip, make sure polling started, wait for a lease or a look-up time, look
 * the refund up, or send — does the I/O it names, and decides again when the record
 * moved. The rules that keep money from moving twice (DESIGN.md, Kill Bill's "unknown"
 * state) live in the domain modules, where they are table-tested:
 * - submit-decision.ts: the record decides, not the job; no look-up or send under
 *   another run's live lease (on Redis's clock); look up before any re-send after an
 *   unknown outcome; the lease fence (a lease that landed late sends nothing).
 * - not-found-decision.ts: a "not found" is believed only when a second lookup, at least
 *   the grace period later, says it again (gatepay-api.md §6.5).
 * - submit-failure.ts: rejected / dead / deferred, and "permanent after an unknown
 *   outcome is unknown".
 * This file keeps the I/O edges: the lease write, the POST, the lookup, and never
 * clearing another run's lease when a failure is written (`writeOwn`, in submit-attempt.ts).
 */
import { performance } from "node:perf_hooks";
import { DelayedError, type Job } from "bullmq";
import { DurabilityTimeoutError } from "../domain/durability-errors.js";
import { judgeGraceNote, type SharedClockReading } from "../domain/grace-clock.js";
import { decideNotFound } from "../domain/not-found-decision.js";
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundEvent } from "../domain/refund-state.js";
import {
  checkLeaseFence,
  decideSubmit,
  submitClock,
  submitLeaseUntilMs,
  type SubmitDecisionSettings,
} from "../domain/submit-decision.js";
import { classifyFailure } from "../gatepay/classify-failure.js";
import type { GatePayOperation } from "../gatepay/endpoints.js";
import { GatePaySendDeadlineError } from "../gatepay/send-deadline.js";
import { reportFromCreate, reportFromDetails } from "../gatepay/refund-report.js";
import { readSubmitJobData } from "../jobs/job-data.js";
import { schedulePoll } from "../jobs/schedule-poll.js";
import { answeredAtSharedMs } from "./answered-at.js";
import { applyReport } from "./apply-report.js";
import type { RefundContext, RefundSettings } from "./context.js";
import {
  leaseReadingMaxAgeMs,
  readRecordAndClock,
  type RecordClockRead,
} from "./record-clock-read.js";
import { sendDeadlineMs } from "./recovery-time.js";
import {
  accountOf,
  failAttempt,
  SubmitRetryError,
  waitUntil,
  writeOwn,
  type Attempt,
  type SubmitOutcome,
} from "./submit-attempt.js";

export { SubmitRetryError, type SubmitOutcome } from "./submit-attempt.js";

const MAX_DECISION_ROUNDS = 5;

function decisionSettings(settings: RefundSettings): SubmitDecisionSettings {
  return {
    timeoutMs: settings.timeoutMs,
    leaseMarginMs: settings.leaseMarginMs,
    leaseMs: settings.leaseMs,
    unknownOutcomeGraceMs: settings.unknownOutcomeGraceMs,
    pollFirstDelayMs: settings.poll.firstDelayMs,
  };
}

export function createSubmitProcessor(ctx: RefundContext) {
  return async function processSubmit(
    job: Job,
    token?: string,
  ): Promise<{ outcome: SubmitOutcome }> {
    const { refundRequestId } = readSubmitJobData(job.data);
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
      attemptNo,
      lastAttempt: attemptNo >= maxAttempts,
      // A lease is owned by one run of one job: a stall-recovered re-run is another owner.
      leaseOwner: `${ctx.workerId}/${job.id ?? "?"}/${job.attemptsStarted}`,
    };

    for (let round = 0; round < MAX_DECISION_ROUNDS; round++) {
      // The record, then Redis's time and its server's epoch, in one round trip (one
      // script): a failover between reading the time and the epoch would pair one host's
      // clock with another's identity (grace-clock.ts). A send may take its lease at this
      // reading (leaseAndSend).
      const read = await readRecordAndClock(ctx, refundRequestId);
      const { record } = read;
      // "none": the decision reads no clock (a send); the lease reads the shared one.
      const clock: { nowMs: number; epoch?: string } =
        submitClock(record, run.leaseOwner) === "shared" ? read.clock : { nowMs: ctx.now() };
      const now = clock.nowMs;
      const settings = decisionSettings(ctx.settings);
      const decision = decideSubmit(record, now, run.leaseOwner, settings, clock.epoch);
      // (Every decision but "skip" has a record; the second test only tells the compiler.)
      if (decision.action === "skip" || !record) {
        if (!record) {
          log.warn("submit job for a refund with no record");
          return done("missing");
        }
        return done("skipped", { state: record.state });
      }
      switch (decision.action) {
        case "ensure-poll-scheduled":
          // A run killed between the `accepted` write and adding the first poll job
          // leaves this job to be re-run (stalled): make sure polling starts.
          await schedulePoll(ctx, record, 1, decision.delayMs);
          return done("skipped", { state: record.state });
        case "wait-until":
          return waitUntil(job, token, decision.atMs, now);
        case "restart-clock":
          // (Only ever under a known epoch: decideSubmit trusts an unknown one.)
          if (clock.epoch !== undefined) {
            await restartClock(run, record, { nowMs: now, epoch: clock.epoch });
          }
          continue; // decide again on the re-based times
        case "look-up": {
          const looked = await lookUp(run, record, now, clock.epoch);
          if (looked === "re-send") continue; // mayExist cleared: decide again, now free to send
          return done(looked);
        }
        case "send": {
          const sent = await leaseAndSend(run, record, read);
          if (sent === "record-moved") continue;
          return done(sent);
        }
      }
    }
    throw new SubmitRetryError("the refund record kept changing under this job", undefined);
  };
}

/**
 * Re-bases the record's shared-clock times on the clock of the server answering now (it
 * changed since they were read: a failover or restart): another run's lease is held a full
 * lease from now, the grace before a look-up starts again. Never trusts the elapsed time.
 */
async function restartClock(
  run: Attempt,
  record: RefundRecord,
  clock: SharedClockReading,
): Promise<void> {
  const { ctx, log } = run;
  log.warn(
    { event: "clock-restarted", previousEpoch: record.submit.clockEpoch, epoch: clock.epoch },
    "Redis changed since the lease or send was timed (failover or restart): times restart",
  );
  const event: RefundEvent = {
    type: "clock-restarted",
    atMs: clock.nowMs,
    epoch: clock.epoch,
    leaseUntilMs: submitLeaseUntilMs(clock.nowMs, ctx.settings),
  };
  await ctx.store.transition(record.refundRequestId, event, record, { retryOnConflict: false });
}

/**
 * Takes the lease with a compare-and-set that is not retried ("record-moved" when
 * anything changed since the record was read: decide again from the top), checks the
 * fence, then sends.
 *
 * The lease is taken at the clock reading the decision was made on, when that reading is
 * recent (no rate-limit wait since): the lease then starts, and the send deadline and the
 * fence count, from that earlier moment, so it only ever ends sooner than one read now,
 * and the round trip of a clock read of its own is saved. Otherwise the clock is read
 * again.
 */
async function leaseAndSend(
  run: Attempt,
  record: RefundRecord,
  read: RecordClockRead,
): Promise<SubmitOutcome | "record-moved"> {
  const { ctx, log } = run;
  await ctx.limiter.acquire();
  const recent = performance.now() - read.monoAfterMs <= leaseReadingMaxAgeMs(ctx.settings);
  // Local time before the shared clock is read: the send deadline counts from here.
  const localLeaseAt = recent ? read.localBeforeMs : ctx.now();
  const { nowMs: leaseAt, epoch } = recent ? read.clock : await ctx.store.sharedClock();
  const fenceStart = recent ? read.monoAfterMs : performance.now();
  const ticket = ctx.durability.ticket();
  const started = await ctx.store.transition(
    record.refundRequestId,
    {
      type: "submit-started",
      attempt: record.attempts + 1,
      leaseOwner: run.leaseOwner,
      leaseUntilMs: submitLeaseUntilMs(leaseAt, ctx.settings),
      sentAtMs: leaseAt,
      epoch,
      onBehalfOf: accountOf(ctx, record),
    },
    record,
    { retryOnConflict: false },
  );
  if (!started.applied) return "record-moved";
  // The intent ("submitting", may exist) must survive a failover or a crash before the
  // POST leaves: lost, the record is back at "queued" and the next run sends again.
  await holdIntent(run, started.record, ticket);
  const lostMs = performance.now() - fenceStart;
  const hold = checkLeaseFence(lostMs, ctx.settings.leaseMarginMs);
  if (hold) {
    log.warn({ lostMs }, "lease landed late (process or Redis stalled); not sending");
    return failAttempt(run, started.record, hold, true);
  }
  const leaseMs = submitLeaseUntilMs(0, ctx.settings);
  const sendBy = sendDeadlineMs(localLeaseAt, {
    leaseMs,
    leaseMarginMs: ctx.settings.leaseMarginMs,
  });
  return send(run, started.record, sendBy);
}

/**
 * Runs the durability barrier over the `submitting` write. When it does not hold, nothing
 * is sent: the record says so (`submit-deferred`, not may-exist: no request left) and the
 * job waits without using an attempt (a Redis that cannot confirm is not the refund's
 * fault). Returns when the POST may go.
 */
async function holdIntent(run: Attempt, record: RefundRecord, ticket: number): Promise<void> {
  const { ctx, log } = run;
  try {
    await ctx.durability.barrier(ticket);
  } catch (err) {
    if (!(err instanceof DurabilityTimeoutError)) throw err;
    ctx.onSendWithheld?.();
    log.warn(
      { err: { message: err.message }, event: "send-withheld", durability: err.mode },
      "the submit intent is not durable yet; nothing sent, deferring",
    );
    await writeOwn(run, record, {
      type: "submit-deferred",
      mayExist: false,
      // Nothing left: the intent of this very attempt was not durable, so no POST went.
      sentAttempt: record.attempts,
      error: { code: err.code, message: err.message },
    });
    const delayMs = Math.round(ctx.settings.backoff.baseMs + ctx.random() * 1_000);
    await run.job.moveToDelayed(Date.now() + delayMs, run.token);
    throw new DelayedError();
  }
}

/**
 * Looks the refund up by refundRequestId before any re-send. Returns what happened, or
 * "re-send" when GatePay has now twice (a grace period apart) said it does not know it.
 */
async function lookUp(
  run: Attempt,
  record: RefundRecord,
  now: number,
  epoch: string | undefined,
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
  // A note read on another Redis server's clock (failover, restart) is not compared
  // with this one's: the grace period starts again. `epoch` was read with `now`.
  const note = judgeGraceNote(record.submit, epoch);
  if (note.note === "restart") {
    log.warn(
      { event: "clock-restarted", previousEpoch: note.previousEpoch, epoch },
      "Redis changed since the first 'not found' (failover or restart): grace clock restarts",
    );
  }
  const notFound = decideNotFound(
    note.note === "trusted" ? note.atMs : undefined,
    now,
    ctx.settings.unknownOutcomeGraceMs,
  );
  if (notFound.action === "confirm") {
    const t = await ctx.store.transition(id, { type: "not-found", confirmed: true }, record, {
      retryOnConflict: false,
    });
    if (t.applied) {
      log.info("GatePay twice said it does not know the refund; re-sending with the same id");
    }
    return "re-send";
  }
  if (notFound.action === "note-first") {
    const event: RefundEvent = { type: "not-found", confirmed: false, atMs: now };
    if (epoch !== undefined) event.epoch = epoch;
    if (note.note === "restart") event.restart = true;
    await ctx.store.transition(id, event, record, { retryOnConflict: false });
  }
  log.info("GatePay does not know the refund yet; asking again after the grace period");
  return waitUntil(run.job, run.token, notFound.lookAgainAtMs, now);
}

/**
 * Signs and POSTs the refund (the lease is held), then records what happened. No request
 * starts after `sendBy` (local clock) and none outlives it: past it, another run may act.
 */
async function send(run: Attempt, record: RefundRecord, sendBy: number): Promise<SubmitOutcome> {
  const { ctx, log } = run;
  const req = record.request;
  const operation: GatePayOperation = req.kind === "convert" ? "convertRefund" : "orderRefund";
  // The client's own timeout must not outlive the lease: pass ours and the deadline.
  const opts = { onBehalfOf: accountOf(ctx, record), timeoutMs: ctx.settings.timeoutMs, sendBy };
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
    if (err instanceof GatePaySendDeadlineError) {
      // Nothing was sent (the process stalled past its lease): not an unknown outcome.
      log.warn({ lateMs: err.lateMs }, "send deadline passed before the POST; nothing sent");
      const d = { action: "retry", code: "SEND_DEADLINE", reason: err.message } as const;
      return failAttempt(run, record, d, false);
    }
    const d = classifyFailure(err, operation);
    log.warn({ err, decision: d.action, code: d.code }, "refund submission failed");
    const unknown = d.action === "unknown-outcome";
    const answered = unknown ? await answeredAtSharedMs(ctx.store, err) : undefined;
    return failAttempt(run, record, d, unknown, answered);
  }
  await applyReport(ctx, record, reportFromCreate(result, new Date(ctx.now()).toISOString()), log);
  return "accepted";
}
