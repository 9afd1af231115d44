/**
 * The submit processor's shared edges (split from submit-refund.ts): the run's
 * {@link Attempt}, the retry error BullMQ sees, waiting on the shared clock, and writing
 * a failed attempt without clearing another run's lease ({@link writeOwn}).
 */
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { SharedClockReading } from "../domain/grace-clock.js";
import { mayWriteOwnFailure } from "../domain/own-failure-write.js";
import { refundAccountOf } from "../domain/refund-account.js";
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundEvent } from "../domain/refund-state.js";
import { decideSubmitFailure, type SubmitFailure } from "../domain/submit-failure.js";
import type { Logger } from "../logger.js";
import type { TransitionOutcome } from "../store/refund-store.js";
import type { RefundContext } from "./context.js";

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

/** The account every call about this refund uses (domain/refund-account.ts). */
export function accountOf(ctx: RefundContext, record: RefundRecord): string | null {
  return refundAccountOf(record, ctx.client.onBehalfOf);
}

/** Waits (without using an attempt) until `atMs` on the shared clock, then runs again. */
export async function waitUntil(
  job: Job,
  token: string | undefined,
  atMs: number,
  nowMs: number,
): Promise<never> {
  // BullMQ reads the delay on the local clock: convert from the shared one.
  await job.moveToDelayed(Date.now() + Math.max(0, atMs - nowMs) + 10, token);
  throw new DelayedError();
}

/** One run of a submit job: what the I/O steps share. */
export interface Attempt {
  ctx: RefundContext;
  job: Job;
  token: string | undefined;
  log: Logger;
  attemptNo: number;
  lastAttempt: boolean;
  leaseOwner: string;
}

/**
 * Writes `event` against the run's own view of the record. If the record moved, it is
 * applied to the fresh record only when no other run holds a live lease there and no
 * other send started since ({@link mayWriteOwnFailure}).
 */
export async function writeOwn(
  run: Attempt,
  record: RefundRecord,
  event: RefundEvent,
): Promise<TransitionOutcome | undefined> {
  const { ctx } = run;
  const id = record.refundRequestId;
  const t = await ctx.store.transition(id, event, record, { retryOnConflict: false });
  if (t.applied || t.reason !== "conflict" || !t.record) return t;
  const fresh = t.record;
  const clock = await ctx.store.sharedClock();
  if (!mayWriteOwnFailure(record, fresh, run.leaseOwner, clock.nowMs, clock.epoch)) {
    run.log.info(
      { leaseOwner: fresh.submit.leaseOwner, attempts: fresh.attempts },
      "another run holds the lease or sent since; leaving the record to it",
    );
    return undefined;
  }
  // Against exactly the record just judged: if it moved again (another run took the
  // lease meanwhile), retrying would write over that run's send unjudged.
  const again = await ctx.store.transition(id, event, fresh, { retryOnConflict: false });
  if (again.applied || again.reason !== "conflict") return again;
  run.log.info("the record moved again; leaving it to the newer run");
  return undefined;
}

/**
 * Records a failed attempt (the event {@link decideSubmitFailure} names) and tells BullMQ
 * what to do: retry (throw), or stop (UnrecoverableError after the record says
 * `rejected` or `dead`). `mayExist`: this attempt's request may have reached GatePay;
 * `answered`: when GatePay's failure answer to it arrived (shared clock) and that
 * clock's server epoch.
 */
export async function failAttempt(
  run: Attempt,
  record: RefundRecord,
  failure: SubmitFailure,
  mayExist: boolean,
  answered?: SharedClockReading,
): Promise<never> {
  const verdict = decideSubmitFailure({
    failure,
    mayExist,
    answeredAtMs: answered?.nowMs,
    hadUnknownOutcome: record.submit.hadUnknownOutcome === true,
    attemptNo: run.attemptNo,
    lastAttempt: run.lastAttempt,
  });
  // Stamped with this run's send, so a late write cannot lower another send's "may exist".
  const event: RefundEvent =
    verdict.event.type === "submit-deferred"
      ? {
          ...verdict.event,
          sentAttempt: record.attempts,
          ...(answered ? { answeredEpoch: answered.epoch } : {}),
        }
      : verdict.event;
  await writeOwn(run, record, event);
  const { code, message } = verdict.event.error;
  switch (verdict.outcome) {
    case "rejected":
      throw new UnrecoverableError(`rejected by GatePay: ${code}`);
    case "dead":
      throw new UnrecoverableError(`dead: ${code}`);
    case "retry":
      throw new SubmitRetryError(`${code}: ${message}`, verdict.retryAfterMs);
  }
}
