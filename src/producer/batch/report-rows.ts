/**
 * A batch report's rows: one per input row, from the run's journal and the current refund
 * records. A row that made no refund shows what it asked for and why it made none; a row
 * that made one shows its refund as it is now.
 */
import type { RefundRecord } from "../../domain/refund-record.js";
import { REFUND_MONEY_FIELDS } from "../../domain/refund-fields.js";
import type { RefundState } from "../../domain/refund-state.js";
import type { RefundProducer } from "../enqueue-refund.js";
import type { BatchRowOutcome } from "./batch-run.js";
import type { JournalEntry } from "./journal.js";

/** A row's state in a report: the refund's state, `invalid` when no refund was made. */
export type BatchRowState = RefundState | "invalid" | "unknown";

/** What a report row shows of its request: what money it moves (as strings). */
type ReportedRequestFields = Partial<Record<(typeof REFUND_MONEY_FIELDS)[number], string>>;

/** One row of a batch report (one per input row, in input order). */
export interface BatchReportRow extends ReportedRequestFields {
  line: number;
  refundRequestId: string;
  outcome: BatchRowOutcome;
  state: BatchRowState;
  /** The batch that counts the refund (another one for rows known from before). */
  batchId?: string;
  /** GatePay's refund id, once GatePay has answered with one. */
  gateRefundId?: string;
  /** GatePay's last status string for the refund. */
  gatepayStatus?: string;
  /** Why the row or refund did not succeed: a GatePay code, ours, or the row's problem. */
  errorCode?: string;
  errorMessage?: string;
  /** ISO-8601 time of the refund's last change. */
  updatedAt?: string;
}

/** Columns of a CSV report, in order. */
export const BATCH_REPORT_COLUMNS = [
  "line",
  "refundRequestId",
  "outcome",
  "state",
  "batchId",
  ...REFUND_MONEY_FIELDS,
  "gateRefundId",
  "gatepayStatus",
  "errorCode",
  "errorMessage",
  "updatedAt",
] as const satisfies readonly (keyof BatchReportRow)[];

/**
 * The report rows of `entries` (input order), reading the records of the rows that made a
 * refund in one round trip.
 */
export async function reportRows(
  producer: RefundProducer,
  entries: readonly JournalEntry[],
): Promise<BatchReportRow[]> {
  const withRecord = entries.filter((e) => e.c === undefined && e.id !== undefined);
  const records = await producer.getMany(withRecord.map((e) => e.id!));
  const byId = new Map<string, RefundRecord | null>();
  withRecord.forEach((e, i) => byId.set(e.id!, records[i] ?? null));
  return entries.map((e) => {
    const row: BatchReportRow = {
      line: e.l,
      refundRequestId: e.id ?? "",
      outcome: e.o,
      state: "invalid",
    };
    if (e.c !== undefined) {
      Object.assign(row, e.f);
      row.errorCode = e.c;
      if (e.m !== undefined) row.errorMessage = e.m;
      return row;
    }
    const record = byId.get(e.id!) ?? null;
    if (record === null) {
      row.state = "unknown";
      row.errorCode = "RECORD_MISSING";
      row.errorMessage = "no refund record under this id any more";
      return row;
    }
    return Object.assign(row, recordColumns(record));
  });
}

function recordColumns(record: RefundRecord): Partial<BatchReportRow> {
  const r = record.request;
  const out: Partial<BatchReportRow> = {
    state: record.state,
    kind: r.kind,
    prepayId: r.prepayId,
    updatedAt: record.updatedAt,
  };
  if (record.batchId !== undefined) out.batchId = record.batchId;
  if (r.kind === "order") {
    out.refundAmount = r.refundAmount;
  } else {
    out.refundOrderCurrency = r.refundOrderCurrency;
    out.refundOrderAmount = r.refundOrderAmount;
    out.refundPayCurrency = r.refundPayCurrency;
    out.refundPayAmount = r.refundPayAmount;
  }
  if (record.gatepay?.gateRefundId !== undefined) out.gateRefundId = record.gatepay.gateRefundId;
  if (record.gatepay?.status !== undefined) out.gatepayStatus = record.gatepay.status;
  // A succeeded refund may carry the error of an earlier attempt: not an error any more.
  if (record.state !== "succeeded" && record.lastError !== undefined) {
    out.errorCode = record.lastError.code;
    out.errorMessage = record.lastError.message;
  } else if (record.state === "failed" && record.gatepay?.failReason !== undefined) {
    out.errorMessage = record.gatepay.failReason;
  }
  return out;
}
