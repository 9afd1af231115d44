/**
 * When GatePay's failure answer to a POST arrived, on the shared (Redis) clock: the
 * moment from which the first lookup's grace period counts (src/domain/submit-decision.ts).
 */
import type { SharedClockReading } from "../domain/grace-clock.js";
import { GatePayApiError, GatePayError } from "../gatepay/errors.js";
import type { RefundStore } from "../store/refund-store.js";

/**
 * The shared-clock time of the answer `err` carries, or undefined when the grace must
 * count from the send plus the timeout instead:
 * - no answer arrived (timeout, reset, dropped connection);
 * - the answer was not GatePay's own (an HTTP 5xx without a GatePay code: a proxy or load
 *   balancer answered, e.g. 502/504, and GatePay behind it may still be working on the
 *   request).
 * Never earlier than the real arrival: the local clock is read before Redis's, so the
 * elapsed time subtracted from Redis's clock is at most the true elapsed time. The epoch
 * is the server's whose clock was read, with it (a failover since the send shows there).
 */
export async function answeredAtSharedMs(
  store: Pick<RefundStore, "sharedClock">,
  err: unknown,
): Promise<SharedClockReading | undefined> {
  if (!(err instanceof GatePayError) || err.answeredAtMs === undefined) return undefined;
  if (err instanceof GatePayApiError && err.code === undefined) return undefined;
  const localNowMs = Date.now();
  const { nowMs, epoch } = await store.sharedClock();
  return { nowMs: nowMs - Math.max(0, localNowMs - err.answeredAtMs), epoch };
}
