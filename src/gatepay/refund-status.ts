/**
 * What a GatePay refund status says about the refund's outcome (gatepay-api.md §6.4).
 * Pure and total.
 *
 * GatePay's status enums are open and only partly documented: the v2 details `status`
 * shows only `SUCCESS` in any example. So success is recognised only by its exact known
 * value, failure by the names (anything containing FAIL or REJECT) or a failure reason,
 * and everything else is "in progress" — known when it is one of the documented or
 * customary in-progress names, unknown otherwise (the caller logs a warning and keeps
 * polling on the normal schedule; it never guesses a final state).
 */

/** Where the status came from. */
export type RefundStatusSource = "v2" | "v1" | "webhook";

/** The outcome a status implies. */
export type RefundOutcome = "in_progress" | "succeeded" | "failed";

/** Result of {@link classifyRefundStatus}. */
export interface RefundStatusClassification {
  outcome: RefundOutcome;
  /**
   * False only for an unrecognised value read as in progress (log it at warn, keep
   * polling). Failure is decided by name (FAIL / REJECT), so it is always `known`.
   */
  known: boolean;
  /** The status as received, trimmed ("" when absent). */
  raw: string;
}

/** Exact success values per source: v2 `status`, v1 `refundStatus`, webhook `bizStatus` (§6.3, §6.4). */
const SUCCESS: Record<RefundStatusSource, ReadonlySet<string>> = {
  v2: new Set(["SUCCESS"]),
  v1: new Set(["SUCCESS"]),
  webhook: new Set(["REFUND_SUCCESS"]),
};

/** In-progress values that are documented or customary (§6.4). */
const KNOWN_IN_PROGRESS: Record<RefundStatusSource, ReadonlySet<string>> = {
  v2: new Set(["PROCESSING", "PROCESS", "PENDING", "INIT", "REFUNDING"]),
  v1: new Set(["PROCESSING", "PROCESS", "PENDING", "INIT", "REFUNDING"]),
  webhook: new Set(["REFUND_PROCESS"]),
};

/**
 * Classifies a refund status, case-insensitively after trimming.
 *
 * - the source's success value (`SUCCESS`, or `REFUND_SUCCESS` for webhooks) → succeeded;
 * - a value containing `FAIL` or `REJECT`, or any non-success status (absent included)
 *   together with a non-empty `opts.failReason` (v2 `refund_fail_reason`) → failed;
 * - a known in-progress value → in_progress, known;
 * - anything else, absent included → in_progress, `known: false`.
 */
export function classifyRefundStatus(
  source: RefundStatusSource,
  status: string | undefined | null,
  opts?: { failReason?: string },
): RefundStatusClassification {
  const raw = typeof status === "string" ? status.trim() : "";
  const value = raw.toUpperCase();
  const src: RefundStatusSource = source === "v1" || source === "webhook" ? source : "v2";
  if (SUCCESS[src].has(value)) return { outcome: "succeeded", known: true, raw };
  if (value.includes("FAIL") || value.includes("REJECT")) {
    return { outcome: "failed", known: true, raw };
  }
  const failReason = typeof opts === "object" && opts !== null ? opts.failReason : undefined;
  if (typeof failReason === "string" && failReason.trim() !== "") {
    // §6.4: a failure reason with a non-success status is a terminal failure.
    return { outcome: "failed", known: true, raw };
  }
  return { outcome: "in_progress", known: KNOWN_IN_PROGRESS[src].has(value), raw };
}
