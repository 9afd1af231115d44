/**
 * Turns GatePay's answers (create responses, v2 details, v1 query, webhooks) into the
 * trimmed `GatePayAnswer` a record keeps and the outcome they imply. Pure.
 */
import type { GatePayAnswer } from "../domain/refund-record.js";
import { classifyRefundStatus, type RefundOutcome } from "../gatepay/refund-status.js";
import type {
  ConvertRefundResult,
  OrderRefundResult,
  RefundDetails,
  RefundQueryV1Result,
} from "../gatepay/schemas.js";

/** What GatePay said, and what it means for the refund. */
export interface GatePayReport {
  answer: GatePayAnswer;
  outcome: RefundOutcome;
  /** False when the status is one we do not recognise (kept in progress, logged at warn). */
  known: boolean;
  /** The order's amount when GatePay told us: the over-refund guard's cap. */
  orderAmount?: string;
}

function compact(answer: GatePayAnswer): GatePayAnswer {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(answer)) if (v !== undefined && v !== "") out[k] = v;
  return out as unknown as GatePayAnswer;
}

function withOrderAmount(
  report: Omit<GatePayReport, "orderAmount">,
  orderAmount: string | undefined,
): GatePayReport {
  return orderAmount ? { ...report, orderAmount } : report;
}

/** A create (POST) success: GatePay accepted the request; the refund is in progress. */
export function reportFromCreate(
  result: OrderRefundResult | ConvertRefundResult,
  at: string,
): GatePayReport {
  const r = result as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof r[k] === "string" ? r[k] : undefined);
  const answer = compact({
    source: "create",
    at,
    gateRefundId: str("refundGateId") ?? str("gateRefundId"),
    orderAmount: str("orderAmount"),
    refundAmount: str("refundAmount") ?? str("refundOrderAmount"),
    currency: str("orderCurrency"),
  } as GatePayAnswer);
  return withOrderAmount({ answer, outcome: "in_progress", known: true }, str("orderAmount"));
}

/** A v2 refund details answer. */
export function reportFromDetails(details: RefundDetails, at: string): GatePayReport {
  const failReason = details.refund_fail_reason ?? undefined;
  const c = classifyRefundStatus("v2", details.status, failReason ? { failReason } : undefined);
  const answer = compact({
    source: "details",
    at,
    status: details.status,
    gateRefundId: details.gateRefundId ?? details.refundId ?? undefined,
    orderAmount: details.orderAmount ?? undefined,
    refundAmount: details.amount ?? details.requestAmount ?? undefined,
    currency: details.currency ?? details.requestCurrency ?? undefined,
    failReason,
  } as GatePayAnswer);
  return withOrderAmount(
    { answer, outcome: c.outcome, known: c.known },
    details.orderAmount ?? undefined,
  );
}

/** A v1 refund query answer. */
export function reportFromQueryV1(result: RefundQueryV1Result, at: string): GatePayReport {
  const c = classifyRefundStatus("v1", result.refundStatus);
  const answer = compact({
    source: "query-v1",
    at,
    status: result.refundStatus ?? undefined,
    orderAmount: result.orderAmount ?? undefined,
    refundAmount: result.refundAmount ?? undefined,
  } as GatePayAnswer);
  return withOrderAmount(
    { answer, outcome: c.outcome, known: c.known },
    result.orderAmount ?? undefined,
  );
}

/** A verified PAY_REFUND webhook. */
export function reportFromWebhook(
  notification: { bizStatus: string; bizId?: string; refundAmount?: string; orderAmount?: string },
  at: string,
): GatePayReport {
  const c = classifyRefundStatus("webhook", notification.bizStatus);
  const answer = compact({
    source: "webhook",
    at,
    status: notification.bizStatus,
    gateRefundId: notification.bizId,
    orderAmount: notification.orderAmount,
    refundAmount: notification.refundAmount,
  } as GatePayAnswer);
  return withOrderAmount({ answer, outcome: c.outcome, known: c.known }, notification.orderAmount);
}
