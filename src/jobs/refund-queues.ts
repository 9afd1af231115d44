/**
 * The two BullMQ queues (submit, poll) over one connection and deployment prefix. The
 * producer adds submit jobs; the workers add poll jobs and follow-ups.
 */
import { Queue, type ConnectionOptions } from "bullmq";
import { normalizeQueuePrefix } from "../domain/queue-prefix.js";
import type { PollJobData, SubmitJobData } from "./job-data.js";
import { QUEUE_NAMES } from "./queue-names.js";

export interface RefundQueues {
  submit: Queue<SubmitJobData>;
  poll: Queue<PollJobData>;
  /** Closes both queues (not the connection they were given). */
  close(): Promise<void>;
}

/**
 * Opens the submit and poll queues under `prefix` (the deployment prefix with its hash
 * tag, so BullMQ's keys share the slot of the refund records; DESIGN.md "Scale"), normalised
 * by the one rule of src/domain/queue-prefix.ts (`gatepay` → `{gatepay}`).
 */
export function createRefundQueues(
  connection: ConnectionOptions,
  queuePrefix: string,
): RefundQueues {
  const prefix = normalizeQueuePrefix(queuePrefix);
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
