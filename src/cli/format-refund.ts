/**
 * The human-readable summary `gatepay-refunds status ID` prints: what happened to one
 * refund, in the words of DESIGN.md's refund lifecycle.
 */
import { isFinalState, isTerminalState } from "../domain/refund-state.js";
import type { RefundRecord } from "../domain/refund-record.js";
import { terminalText } from "./terminal-text.js";

const STATE_NOTES: Partial<Record<RefundRecord["state"], string>> = {
  dead: "retryable errors outlasted the attempts; `gatepay-refunds replay ID` re-drives it",
  stuck: "accepted, but no final status before the deadline; check GatePay, then replay",
  rejected: "GatePay refused the request (or the over-refund guard did); no refund exists",
  failed: "GatePay accepted it, then the refund failed",
};

/**
 * A multi-line summary of `record`: state, attempts, amounts, GatePay's last answer, the
 * last error, then one line per history entry (oldest first). Plain text, no colour;
 * control characters and escape sequences from the record (a caller's `refundReason`,
 * GatePay's `failReason`) are neutralised (./terminal-text.ts).
 */
export function formatRefund(record: RefundRecord): string {
  const r = record.request;
  const rows: [string, string | undefined][] = [
    ["refund", `${record.refundRequestId} (${record.kind} refund)`],
    ["state", `${record.state}${stateQualifier(record)}`],
    ["attempts", String(record.attempts)],
    ["prepayId", r.prepayId],
  ];
  if (r.kind === "order") {
    rows.push(["amount", r.refundAmount]);
  } else {
    rows.push(
      ["amount", `${r.refundOrderAmount} ${r.refundOrderCurrency} (order currency)`],
      ["pays out", `${r.refundPayAmount} ${r.refundPayCurrency} to receiver ${r.receiverId}`],
    );
  }
  rows.push(
    ["order amount", r.orderAmount],
    ["reason", r.refundReason],
    ["on behalf of", r.onBehalfOf],
    ["batch", record.batchId],
    ["gatepay", record.gatepay && describeAnswer(record.gatepay)],
    [
      "last error",
      record.lastError &&
        `${record.lastError.code}: ${record.lastError.message} (${record.lastError.at})`,
    ],
    [
      "ATTENTION",
      record.attention &&
        `${record.attention.code}: ${record.attention.detail} (${record.attention.at})`,
    ],
    ["created", record.createdAt],
    ["updated", record.updatedAt],
  );
  const shown = rows.filter((row): row is [string, string] => row[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  const lines = shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`);

  lines.push(`history (${record.history.length})`);
  const stateWidth = Math.max(0, ...record.history.map((h) => h.state.length));
  for (const h of record.history) {
    const note = h.note === undefined ? "" : ` (${h.note})`;
    lines.push(`  ${h.at}  ${h.state.padEnd(stateWidth)}  ${h.event}${note}`);
  }
  const hint = STATE_NOTES[record.state];
  if (hint !== undefined) lines.push(`note: ${hint}`);
  return terminalText(lines.join("\n"));
}

function stateQualifier(record: RefundRecord): string {
  if (isTerminalState(record.state)) return " (final)";
  if (isFinalState(record.state)) return " (needs a human)";
  return " (in progress)";
}

function describeAnswer(a: NonNullable<RefundRecord["gatepay"]>): string {
  const parts = [a.status ?? "(no status)", `from ${a.source}`];
  if (a.gateRefundId !== undefined) parts.push(`gate refund id ${a.gateRefundId}`);
  if (a.refundAmount !== undefined) {
    parts.push(`refund ${a.refundAmount}${a.currency === undefined ? "" : ` ${a.currency}`}`);
  }
  if (a.orderAmount !== undefined) parts.push(`of order ${a.orderAmount}`);
  if (a.failReason !== undefined) parts.push(`reason "${a.failReason}"`);
  return `${parts.join(", ")} (${a.at})`;
}
