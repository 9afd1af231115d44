/**
 * Contradictions that need a human. Terminal states stay terminal (refund-state.ts), but
 * GatePay's word about money is never dropped: a success or a sign of progress reported
 * for a refund we recorded as refused (`rejected`, `failed`), or a failure reported for
 * one we recorded `succeeded`, is kept on the record as `attention` and puts the refund
 * in the attention index (store), so an operator sees that money may have moved while
 * the record says it did not. Pure.
 */
import type {
  AttentionCode,
  GatePayAnswer,
  RefundAttention,
  RefundRecord,
} from "./refund-record.js";

export { ATTENTION_CODES, type AttentionCode, type RefundAttention } from "./refund-record.js";

/** The part of a state event (refund-state.ts `RefundEvent`) this module reads. */
interface EventLike {
  type: string;
  answer?: GatePayAnswer | undefined;
}

/**
 * Whether the amount must be held again against the order: money has moved or may move,
 * so later refunds of the order must not count on it being free.
 */
export function attentionReReserves(code: AttentionCode): boolean {
  return code === "SUCCESS_AFTER_REFUSAL" || code === "PROGRESS_AFTER_REFUSAL";
}

/** A GatePay report: an event that carries GatePay's answer about the refund. */
interface ReportEvent {
  type: "succeeded" | "failed" | "in-progress" | "accepted";
  answer: GatePayAnswer;
}

function isReportEvent(event: EventLike): event is ReportEvent {
  return (
    (event.type === "succeeded" ||
      event.type === "failed" ||
      event.type === "in-progress" ||
      event.type === "accepted") &&
    event.answer !== undefined
  );
}

/** The contradiction `event` makes with a record in a terminal state, if any. */
export function contradictionOf(record: RefundRecord, event: EventLike): AttentionCode | null {
  if (!isReportEvent(event)) return null;
  const s = record.state;
  if (s === "succeeded") return event.type === "failed" ? "FAILURE_AFTER_SUCCESS" : null;
  if (s !== "rejected" && s !== "failed") return null;
  if (event.type === "succeeded") return "SUCCESS_AFTER_REFUSAL";
  if (event.type === "failed") return null;
  // GatePay retries an undelivered webhook for hours (gatepay-api.md §7.5), so a
  // REFUND_PROCESS delivered after the REFUND_FAIL of a refund GatePay accepted is
  // ordinary reordering, not a contradiction. A refusal (`rejected`: GatePay said no
  // refund exists) contradicted by any sign of life is one.
  if (s === "failed" && event.answer.source === "webhook") return null;
  return "PROGRESS_AFTER_REFUSAL";
}

/**
 * The record with `attention` noted (state unchanged, version bumped, a history entry
 * `attention`), or null when `event` contradicts nothing or the same contradiction is
 * already noted (a redelivered webhook notes it once).
 */
export function noteAttention(
  record: RefundRecord,
  event: EventLike,
  nowMs: number,
): RefundRecord | null {
  const code = contradictionOf(record, event);
  if (code === null || record.attention?.code === code || !isReportEvent(event)) return null;
  const at = new Date(nowMs).toISOString();
  const said = event.answer.status ?? event.type;
  const why = record.lastError ? ` (${record.lastError.code})` : "";
  const attention: RefundAttention = {
    code,
    at,
    detail:
      `GatePay reports ${said} (${event.answer.source}) for a refund recorded ` +
      `${record.state}${why}; money may have moved: check GatePay and settle by hand`,
    answer: event.answer,
  };
  return {
    ...record,
    attention,
    updatedAt: at,
    version: record.version + 1,
    history: [...record.history, { state: record.state, at, event: "attention", note: code }],
  };
}
