/**
 * What a failed submit attempt (a POST or a lookup that failed, or a send the lease fence
 * held back) does to the refund: the state event to write and whether BullMQ retries.
 * Pure.
 *
 * - A business rejection is final (`rejected`, reservation released) only when neither
 *   this attempt nor any earlier one had an unknown outcome. Otherwise it may be GatePay
 *   refusing a second copy of a refund it already made (500206: the first used the room),
 *   so "permanent after unknown is unknown": the refund is deferred and looked up again.
 * - Credentials, configuration or balance problems (`halt`), and any failure on the last
 *   attempt, are `dead`: replayable, and a replay looks GatePay up first.
 * - Everything else is deferred (`submit-deferred`) and retried by BullMQ, honouring the
 *   server's delay for a rate limit or an unknown outcome.
 */
import type { RefundEvent } from "./refund-state.js";

/**
 * A failure's meaning, as the GatePay failure classifier decides it (the fields of its
 * `FailureDecision`, declared here so the domain imports nothing).
 */
export interface SubmitFailure {
  action: "retry" | "retry-after" | "unknown-outcome" | "permanent" | "halt";
  reason: string;
  code?: string | undefined;
  /** Server-requested delay (retry-after, unknown-outcome), ms. */
  delayMs?: number | undefined;
}

export interface SubmitFailureInput {
  failure: SubmitFailure;
  /** Whether this attempt's request may have reached GatePay (its outcome is unknown). */
  mayExist: boolean;
  /** Whether an earlier attempt had an unknown outcome (`submit.hadUnknownOutcome`). */
  hadUnknownOutcome: boolean;
  /** This attempt's number, 1-based. */
  attemptNo: number;
  /** True when BullMQ will not run the job again. */
  lastAttempt: boolean;
  /**
   * When GatePay's answer to this attempt's POST arrived (shared clock, ms); absent for
   * a lookup, or when no answer came (timeout, dropped connection).
   */
  answeredAtMs?: number | undefined;
}

/** The event to write, and what the job does after writing it. */
export type SubmitFailureVerdict =
  /** Final: GatePay refused the refund; the job stops (unrecoverable). */
  | { outcome: "rejected"; event: Extract<RefundEvent, { type: "rejected" }> }
  /** Given up, replayable; the job stops (unrecoverable). */
  | { outcome: "dead"; event: Extract<RefundEvent, { type: "dead" }> }
  /** Deferred; the job is retried after at least `retryAfterMs` when set. */
  | {
      outcome: "retry";
      event: Extract<RefundEvent, { type: "submit-deferred" }>;
      retryAfterMs: number | undefined;
    };

/** The error a record keeps for a failure: its GatePay code, else the action's name. */
export function submitFailureError(failure: SubmitFailure): { code: string; message: string } {
  return { code: failure.code ?? failure.action.toUpperCase(), message: failure.reason };
}

export function decideSubmitFailure(input: SubmitFailureInput): SubmitFailureVerdict {
  const { failure: d, mayExist, hadUnknownOutcome } = input;
  const error = submitFailureError(d);
  if (d.action === "permanent" && !mayExist && !hadUnknownOutcome) {
    return { outcome: "rejected", event: { type: "rejected", error } };
  }
  // A "permanent" answer to a re-send after an unknown outcome may be GatePay refusing
  // a second copy of a refund it already made: treat it as unknown and look it up again.
  const action = d.action === "permanent" ? "unknown-outcome" : d.action;
  const stillMayExist = mayExist || d.action === "permanent";
  if (action === "halt" || input.lastAttempt) {
    const message =
      action === "halt"
        ? `${error.message} (operator action needed; replay re-checks GatePay first)`
        : `attempts exhausted (${input.attemptNo}): ${error.message}` +
          (stillMayExist || hadUnknownOutcome
            ? "; the outcome of an earlier send is unknown, replay re-checks GatePay first"
            : "");
    return { outcome: "dead", event: { type: "dead", error: { code: error.code, message } } };
  }
  const retryAfterMs =
    d.action === "retry-after" || d.action === "unknown-outcome" ? d.delayMs : undefined;
  const event: Extract<RefundEvent, { type: "submit-deferred" }> = {
    type: "submit-deferred",
    mayExist: stillMayExist,
    error,
  };
  if (input.answeredAtMs !== undefined) event.answeredAtMs = input.answeredAtMs;
  return { outcome: "retry", event, retryAfterMs };
}
