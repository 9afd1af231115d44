/** The BullMQ jobs that drive one refund: its driver (noted by the store) and its submit job. */
import type { Job, Queue } from "bullmq";
import type { RefundRecord } from "../../domain/refund-record.js";
import { submitJobId } from "../../jobs/job-ids.js";
import type { RefundProducer } from "../../producer/enqueue-refund.js";
import type { JobView } from "./refund-page.js";

/** The jobs of a refund that still exist, driver first, from its own shard's queues. */
export async function jobsOf(
  producer: RefundProducer,
  record: RefundRecord,
  driverJobId: string | null,
): Promise<JobView[]> {
  const ids = new Set<string>();
  if (driverJobId) ids.add(driverJobId);
  ids.add(submitJobId(record.refundRequestId, record.submit.generation));
  const queues = producer.shardQueues[producer.shards.shardOfOrder(record.request.prepayId)]!;
  const out: JobView[] = [];
  for (const id of ids) {
    const queue: Queue = id.startsWith("poll-") ? queues.poll : queues.submit;
    const job = (await queue.getJob(id)) as Job | undefined;
    if (!job) continue;
    const view: JobView = {
      queue: queue.name,
      id,
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
    };
    if (job.failedReason) view.failedReason = job.failedReason;
    out.push(view);
  }
  return out;
}
