/**
 * The payloads of submit and poll jobs. Job data carries only ids: the refund record is
 * the truth, and nothing secret or stale rides in a job. Processors parse it with these
 * schemas before anything else.
 */
import { z } from "zod";

/** A submit job: which refund to send (or look up first). */
export const SubmitJobData = z.object({ refundRequestId: z.string().min(1) });
export type SubmitJobData = z.infer<typeof SubmitJobData>;

/** A poll job: which refund, and which poll of its chain (1 = first after acceptance). */
export const PollJobData = z.object({
  refundRequestId: z.string().min(1),
  pollNumber: z.number().int().positive(),
});
export type PollJobData = z.infer<typeof PollJobData>;
