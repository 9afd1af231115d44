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

/**
 * {@link SubmitJobData}'s parse, without zod for the data the queues write (every job):
 * anything else, and every error message, is zod's.
 */
export function readSubmitJobData(data: unknown): SubmitJobData {
  const id = (data as { refundRequestId?: unknown } | null | undefined)?.refundRequestId;
  if (typeof id === "string" && id.length > 0 && isPlainObject(data)) {
    return { refundRequestId: id };
  }
  return SubmitJobData.parse(data);
}

/** {@link PollJobData}'s parse, the same way as {@link readSubmitJobData}. */
export function readPollJobData(data: unknown): PollJobData {
  const d = data as { refundRequestId?: unknown; pollNumber?: unknown } | null | undefined;
  const id = d?.refundRequestId;
  const n = d?.pollNumber;
  if (
    typeof id === "string" &&
    id.length > 0 &&
    typeof n === "number" &&
    Number.isSafeInteger(n) &&
    n > 0 &&
    isPlainObject(data)
  ) {
    return { refundRequestId: id, pollNumber: n };
  }
  return PollJobData.parse(data);
}

function isPlainObject(x: unknown): boolean {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}
