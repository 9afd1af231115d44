/**
 * Shared fixtures of the submit decision's tests: the clock, two lease owners, settings
 * and a record in any state.
 */
import type { RefundRecord, RefundState, SubmitState } from "../../src/domain/refund-record.js";
import type { SubmitDecisionSettings } from "../../src/domain/submit-decision.js";
import { recordIn as baseRecordIn } from "./refund-state-fixtures.js";

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
export const ME = "worker-a/submit-r-1/1";
export const OTHER = "worker-b/submit-r-1/1";
export const SETTINGS: SubmitDecisionSettings = {
  timeoutMs: 10_000,
  leaseMarginMs: 5_000,
  unknownOutcomeGraceMs: 30_000,
  pollFirstDelayMs: 10_000,
};
/** The earliest look-up after a send at T0: timeout + grace. */
export const LOOK_AT = T0 + SETTINGS.timeoutMs + SETTINGS.unknownOutcomeGraceMs;

/** A record in `state` (refund-state-fixtures.ts); `submit` and `extra` override fields. */
export function recordIn(
  state: RefundState,
  submit: Partial<SubmitState> = {},
  extra: Partial<RefundRecord> = {},
): RefundRecord {
  return baseRecordIn(state, { submit: { mayExist: false, generation: 0, ...submit }, ...extra });
}

export const POLL = { poll: { acceptedAtMs: T0, deadlineAtMs: T0 + 86_400_000 } };
