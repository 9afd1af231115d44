/**
 * What GatePay said about a refund, in our terms: the trimmed answer a record keeps, the
 * outcome its status implies, and the order amount when GatePay told it. Pure.
 *
 * The GatePay side (which schema field is which, what a status string means) is read by
 * src/gatepay/refund-report.ts, which hands the fields here; this module knows no GatePay
 * schema, so the domain stays free of imports.
 */
import type { GatePayAnswer } from "./refund-record.js";

/**
 * The outcome a GatePay status implies (gatepay-api.md §6.4): the same union as the
 * GatePay status classifier's `RefundOutcome`.
 */
export type ReportedOutcome = "in_progress" | "succeeded" | "failed";

/** What GatePay said, and what it means for the refund. */
export interface GatePayReport {
  answer: GatePayAnswer;
  outcome: ReportedOutcome;
  /** False when the status is one we do not recognise (kept in progress, logged at warn). */
  known: boolean;
  /** The order's amount when GatePay told us: the over-refund guard's cap. */
  orderAmount?: string;
  /** Which request the answer is about, as far as GatePay said (domain/answer-match.ts). */
  identity?: AnswerIdentity;
}

/** What an answer said about the request it belongs to (absent when GatePay did not say). */
export interface AnswerIdentity {
  /** The order (create: `prepayId`; v2 details: `orderId`, "original prepayId"). */
  prepayId?: string | undefined;
  /** The amount requested (create: `refundAmount`/`refundOrderAmount`; details: `requestAmount`). */
  requestAmount?: string | undefined;
  /** The currency requested (details: `requestCurrency`). */
  requestCurrency?: string | undefined;
}

/**
 * One GatePay answer read out of its schema: the answer's fields (absent or empty when
 * GatePay did not send them) and the classification of its status.
 */
export interface GatePayAnswerReading {
  source: GatePayAnswer["source"];
  /** ISO-8601 time we heard it. */
  at: string;
  status?: string | undefined;
  gateRefundId?: string | undefined;
  orderAmount?: string | undefined;
  orderCurrency?: string | undefined;
  refundAmount?: string | undefined;
  currency?: string | undefined;
  failReason?: string | undefined;
  outcome: ReportedOutcome;
  known: boolean;
  identity?: AnswerIdentity | undefined;
}

/**
 * The answer fields a record keeps, in the order they are written (the order every reader
 * in src/gatepay/refund-report.ts builds them in, so the stored JSON is unchanged).
 */
const ANSWER_FIELDS = [
  "source",
  "at",
  "status",
  "gateRefundId",
  "orderAmount",
  "orderCurrency",
  "refundAmount",
  "currency",
  "failReason",
] as const;

/**
 * The report of one answer. Absent and empty fields are dropped from the kept answer (the
 * record stores only what GatePay said); the order amount rides along when non-empty.
 * (A loop over the known fields, not a rest copy and `Object.entries`: this runs for
 * every answer the worker hears.)
 */
export function reportGatePayAnswer(reading: GatePayAnswerReading): GatePayReport {
  const kept: Record<string, unknown> = {};
  for (const k of ANSWER_FIELDS) {
    const v = reading[k];
    if (v !== undefined && v !== "") kept[k] = v;
  }
  const answer = kept as unknown as GatePayAnswer;
  const report: GatePayReport = { answer, outcome: reading.outcome, known: reading.known };
  const { identity } = reading;
  if (identity && hasAny(identity)) report.identity = identity;
  if (answer.orderAmount) report.orderAmount = answer.orderAmount;
  return report;
}

function hasAny(identity: AnswerIdentity): boolean {
  return !!identity.prepayId || !!identity.requestAmount || !!identity.requestCurrency;
}
