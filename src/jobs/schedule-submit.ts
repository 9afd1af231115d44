/**
 * The one way a submit job is added, for one refund (enqueue, replay, re-drive) or many
 * (bulk enqueue). Idempotent by job id: the id is derived from the record's refund id
 * and job generation, so adding the same refund's job again adds nothing, and the
 * reconciler derives the same id from the record (no driver note is needed).
 */
import type { RefundRecord } from "../domain/refund-record.js";
import { submitJobId } from "./job-ids.js";
import type { SubmitJobData } from "./job-data.js";
import { submitJobOptions } from "./job-options.js";
import type { RefundQueues } from "./refund-queues.js";

/** What scheduling a submit job needs (a worker's context or the producer's). */
export interface SubmitScheduler {
  queues: Pick<RefundQueues, "submit">;
  settings: { submitMaxAttempts: number };
}

/** The job that drives `record`'s current generation. */
function submitJob(record: RefundRecord, maxAttempts: number) {
  const data: SubmitJobData = { refundRequestId: record.refundRequestId };
  const opts = submitJobOptions(
    submitJobId(record.refundRequestId, record.submit.generation),
    maxAttempts,
  );
  return { name: "submit", data, opts };
}

/**
 * Adds the submit job of each record's current generation. One record is one `add`
 * (one round trip); many are one `addBulk`. An empty list adds nothing.
 */
export async function scheduleSubmit(
  ctx: SubmitScheduler,
  records: RefundRecord | readonly RefundRecord[],
): Promise<void> {
  const list: readonly RefundRecord[] = Array.isArray(records)
    ? records
    : [records as RefundRecord];
  const jobs = list.map((r) => submitJob(r, ctx.settings.submitMaxAttempts));
  const [only] = jobs;
  if (jobs.length === 1 && only) {
    await ctx.queues.submit.add(only.name, only.data, only.opts);
  } else if (jobs.length > 1) {
    await ctx.queues.submit.addBulk(jobs);
  }
}
