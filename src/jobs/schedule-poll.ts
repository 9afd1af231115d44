/**
 * The one way a poll job is added: poll n of a refund's chain, idempotent by its
 * deterministic id, then noted in the store as the job that drives the refund, so the
 * reconciler can tell a live chain from a broken one.
 */
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundStore } from "../store/refund-store.js";
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
 * Adds poll job `pollNumber` of `record`'s current generation, due in `delayMs`, and
 * notes it as the refund's driver (due at now + `delayMs`).
 */
export async function schedulePoll(
  ctx: PollScheduler,
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
