/**
 * The one way a poll job is added: poll n of a refund's chain, idempotent by its
 * deterministic id, then noted in the store as the job that drives the refund, so the
 * reconciler can tell a live chain from a broken one. The first poll after acceptance is
 * noted by the `accepted` write itself ({@link pollDriver}), before the job is added: a
 * process that dies in between leaves a driver with no job, which the reconciler re-drives
 * a stall window after the poll's due time, as it would a refund with no driver noted.
 */
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundDriver, RefundStore } from "../store/refund-store.js";
import { pollJobId } from "./job-ids.js";
import { pollJobOptions } from "./job-options.js";
import type { RefundQueues } from "./refund-queues.js";

/** What scheduling a poll job needs (a worker's context or the producer's). */
export interface PollScheduler {
  queues: Pick<RefundQueues, "poll">;
  store: Pick<RefundStore, "setDriver">;
  /** The local clock, ms: BullMQ's delays are on it. */
  now: () => number;
}

/**
 * The driver poll `pollNumber` of `record`'s generation will be, due in `delayMs`: what a
 * transition notes with its write (RefundStore.transition's `driver` option).
 */
export function pollDriver(
  ctx: Pick<PollScheduler, "now">,
  record: RefundRecord,
  pollNumber: number,
  delayMs: number,
): RefundDriver {
  return {
    jobId: pollJobId(record.refundRequestId, pollNumber, record.submit.generation),
    dueAtMs: ctx.now() + delayMs,
  };
}

/**
 * Adds poll job `pollNumber` of `record`'s current generation, due in `delayMs`, and
 * notes it as the refund's driver (due at now + `delayMs`) unless `noted` says the write
 * of `record` noted it already.
 */
export async function schedulePoll(
  ctx: PollScheduler,
  record: RefundRecord,
  pollNumber: number,
  delayMs: number,
  noted?: RefundDriver,
): Promise<void> {
  const driver = pollDriver(ctx, record, pollNumber, delayMs);
  await ctx.queues.poll.add(
    "poll",
    { refundRequestId: record.refundRequestId, pollNumber },
    pollJobOptions(driver.jobId, delayMs),
  );
  if (noted?.jobId === driver.jobId) return;
  await ctx.store.setDriver(record.refundRequestId, driver.jobId, driver.dueAtMs);
}
