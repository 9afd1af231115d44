/**
 * The BullMQ options every submit and poll job is added with: its deterministic id,
 * attempts, backoff and retention.
 */
import type { JobsOptions } from "bullmq";

/** Name of the custom backoff strategy the submit worker registers. */
export const SUBMIT_BACKOFF_TYPE = "refund-submit";

/**
 * Retention: records keep the history, so jobs are kept only for the dashboard and
 * debugging (completed for an hour, failed for a week).
 */
const RETENTION = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * A submit job's options: BullMQ owns its attempts (`maxAttempts`, SUBMIT_MAX_ATTEMPTS)
 * with the worker's custom backoff (STYLE.md "Retries: one owner per layer").
 */
export function submitJobOptions(jobId: string, maxAttempts: number): JobsOptions {
  return {
    jobId,
    attempts: maxAttempts,
    backoff: { type: SUBMIT_BACKOFF_TYPE },
    ...RETENTION,
  };
}

/** A poll job's options: due `delayMs` from now (local clock, rounded, never negative). */
export function pollJobOptions(jobId: string, delayMs: number): JobsOptions {
  // A failed poll is handled inside the processor (it schedules the next one), so a
  // BullMQ retry only covers crashes and Redis errors.
  return {
    jobId,
    delay: Math.max(0, Math.round(delayMs)),
    attempts: 5,
    backoff: { type: "exponential", delay: 1000 },
    ...RETENTION,
  };
}
