/**
 * Whether a submit run whose attempt failed may still write that failure after its
 * compare-and-set lost a race (the record moved since the run read it). Pure.
 *
 * The failure describes this run's own send or lookup. Written onto a record that has
 * moved on, it must not undo what happened since:
 * - another run holding a live lease may have a POST in flight: clearing its lease would
 *   let a third run send beside it;
 * - another send started since this run's view (`attempts` grew): that send's outcome is
 *   in the record now. A stalled run waking up with "connection refused, nothing was
 *   sent" (`mayExist: false`) would erase the newer send's unknown outcome, and the next
 *   attempt would re-send without looking up: a double refund. The deterministic
 *   simulation (test/simulation, seed 127) found exactly this interleaving.
 * - another run took the lease or sent since (a run that stalled past its lease: a blocked
 *   event loop, a paused VM); see `anotherSendSince`.
 * In every case the record is left to the newer run.
 */
import { sameClock } from "./grace-clock.js";
import type { RefundRecord } from "./refund-record.js";
import { anotherSendSince, otherLiveLeaseUntil } from "./submit-decision.js";

/**
 * @param own the record as this run last wrote or read it.
 * @param fresh the record as it is now.
 * @param leaseOwner this run's lease owner id.
 * @param nowMs now on the shared (Redis) clock.
 * @param nowEpoch the Redis server epoch `nowMs` was read under: another run's lease
 *   stored under another epoch cannot be judged expired, so it counts as live.
 */
export function mayWriteOwnFailure(
  own: RefundRecord,
  fresh: RefundRecord,
  leaseOwner: string,
  nowMs: number,
  nowEpoch?: string,
): boolean {
  const s = fresh.submit;
  const otherLease = !!s.leaseOwner && s.leaseOwner !== leaseOwner;
  if (otherLease && !sameClock(s.clockEpoch, nowEpoch)) return false;
  if (otherLiveLeaseUntil(s, leaseOwner, nowMs) !== undefined) return false;
  // Another run leased or sent since this run's view (attempts, last send or lease owner
  // moved): its outcome, not this run's, is the record's (issue 18's stalled-run case).
  return !anotherSendSince(own, fresh);
}
