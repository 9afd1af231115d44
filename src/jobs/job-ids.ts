/**
 * Job ids, derived from the refund and its job generation so that adding a job twice
 * adds it once (BullMQ ignores an id it already holds).
 *
 * BullMQ rejects `:` and all-digit custom ids, and GatePay ids are often all digits, so
 * ids are derived (`submit-<refundRequestId>`), never the raw refund id. The
 * refundRequestId charset (letters, digits, `_`, `-`) keeps them valid.
 */

/** Submit job id; generation > 0 when a replay or the reconciler re-drives the refund. */
export function submitJobId(refundRequestId: string, generation = 0): string {
  return generation === 0
    ? `submit-${refundRequestId}`
    : `submit-${refundRequestId}-g${generation}`;
}

/** Poll job id: deterministic per poll number, so a re-scheduled poll is never doubled. */
export function pollJobId(refundRequestId: string, pollNumber: number, generation = 0): string {
  return generation === 0
    ? `poll-${refundRequestId}-${pollNumber}`
    : `poll-${refundRequestId}-${pollNumber}-g${generation}`;
}
