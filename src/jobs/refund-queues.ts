/**
 * The two BullMQ queues (submit, poll) over one connection and deployment prefix. The
 * producer adds submit jobs; the workers add poll jobs and follow-ups.
 */
import { Queue, type ConnectionOptions, type Telemetry } from "bullmq";
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
  telemetry?: Telemetry,
): RefundQueues {
  const prefix = normalizeQueuePrefix(queuePrefix);
  // `telemetry` (src/jobs/telemetry.ts) only when tracing is on: BullMQ then records a
  // span per add and carries its context to the worker in the job's options.
  const opts = telemetry ? { connection, prefix, telemetry } : { connection, prefix };
  const submit = new Queue<SubmitJobData>(QUEUE_NAMES.submit, opts);
  const poll = new Queue<PollJobData>(QUEUE_NAMES.poll, opts);
  return {
    submit,
    poll,
    async close() {
      await Promise.all([submit.close(), poll.close()]);
    },
  };
}
