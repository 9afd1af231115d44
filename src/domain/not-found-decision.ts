/**
 * What GatePay's "not found" means when the submit worker looks a refund up after an
 * unknown outcome. Pure.
 *
 * One "not found" is not believed: GatePay's read side may lag behind creation
 * (gatepay-api.md §6.5), and a re-send on a lagging "not found" pays twice. Only a
 * second "not found", at least the grace period after the first, proves GatePay does not
 * have the refund; then it is re-sent with the same refundRequestId. The spacing is what
 * makes it a proof: with the read side lagging by at most the grace, anything GatePay
 * created before the first answer is visible by the second, whatever the first lookup's
 * timing was based on (a clock a failover moved, a record a failover rolled back). A
 * shorter spacing gives up that property; without the second lookup the simulation finds
 * a double refund (`npm run simulate -- --no-second-not-found`). (A replay of a
 * refund every attempt of which was refused outright notes the first "not found" at 0,
 * so one lookup is enough: nothing can exist.)
 */

/** What to do with a "not found". Times are shared-clock epoch ms. */
export type NotFoundDecision =
  /** Proven absent: record the confirmed "not found" (clears `mayExist`) and re-send. */
  | { action: "confirm" }
  /** The first "not found": note it at now, ask again at `lookAgainAtMs`. */
  | { action: "note-first"; lookAgainAtMs: number }
  /** A "not found" is already noted and the grace period is not over: ask again then. */
  | { action: "wait"; lookAgainAtMs: number };

/**
 * @param firstNotFoundAtMs the record's `submit.notFoundAtMs` (undefined: none since the
 *   last send).
 * @param nowMs now, on the shared clock.
 * @param graceMs GATEPAY_LOOKUP_GRACE_MS (`unknownOutcomeGraceMs`).
 */
export function decideNotFound(
  firstNotFoundAtMs: number | undefined,
  nowMs: number,
  graceMs: number,
): NotFoundDecision {
  if (firstNotFoundAtMs === undefined) {
    return { action: "note-first", lookAgainAtMs: nowMs + graceMs };
  }
  if (nowMs - firstNotFoundAtMs >= graceMs) return { action: "confirm" };
  return { action: "wait", lookAgainAtMs: firstNotFoundAtMs + graceMs };
}
