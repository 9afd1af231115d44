/**
 * The two BullMQ queues, their job payloads and default job options. Job data carries
 * only ids: the refund record is the truth, and nothing secret or stale rides in a job.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import { z } from "zod";
import { QUEUE_NAMES } from "../store/keys.js";

export const SubmitJobData = z.object({ refundRequestId: z.string().min(1) });
export type SubmitJobData = z.infer<typeof SubmitJobData>;

export const PollJobData = z.object({
  refundRequestId: z.string().min(1),
  pollNumber: z.number().int().positive(),
});
export type PollJobData = z.infer<typeof PollJobData>;

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

export function submitJobOptions(jobId: string, maxAttempts: number): JobsOptions {
  return {
    jobId,
    attempts: maxAttempts,
    backoff: { type: SUBMIT_BACKOFF_TYPE },
    ...RETENTION,
  };
}

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

export interface RefundQueues {
  submit: Queue<SubmitJobData>;
  poll: Queue<PollJobData>;
  close(): Promise<void>;
}

export function createRefundQueues(connection: ConnectionOptions, prefix: string): RefundQueues {
  const submit = new Queue<SubmitJobData>(QUEUE_NAMES.submit, { connection, prefix });
  const poll = new Queue<PollJobData>(QUEUE_NAMES.poll, { connection, prefix });
  return {
    submit,
    poll,
    async close() {
      await Promise.all([submit.close(), poll.close()]);
    },
  };
}
