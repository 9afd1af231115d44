/**
 * Reads GatePay's answers about a refund (create responses, v2 details, v1 query,
 * webhooks) into the domain's {@link GatePayReport}: which schema field is which, and
 * what the status means ({@link classifyRefundStatus}). Pure. The report's meaning for a
 * record (the state event) is decided in src/domain/report-event.ts.
 */
import { reportGatePayAnswer, type GatePayReport } from "../domain/gatepay-report.js";
import { classifyRefundStatus } from "./refund-status.js";
import type {
  ConvertRefundResult,
  OrderRefundResult,
  RefundDetails,
  RefundQueryV1Result,
} from "./schemas.js";

/** A create (POST) success: GatePay accepted the request; the refund is in progress. */
export function reportFromCreate(
  result: OrderRefundResult | ConvertRefundResult,
  at: string,
): GatePayReport {
  const r = result as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof r[k] === "string" ? r[k] : undefined);
  return reportGatePayAnswer({
    source: "create",
    at,
    gateRefundId: str("refundGateId") ?? str("gateRefundId"),
    orderAmount: str("orderAmount"),
    orderCurrency: str("orderCurrency"),
    refundAmount: str("refundAmount") ?? str("refundOrderAmount"),
    currency: str("orderCurrency"),
    outcome: "in_progress",
    known: true,
    identity: {
      prepayId: str("prepayId"),
      requestAmount: str("refundAmount") ?? str("refundOrderAmount"),
    },
  });
}

/** A v2 refund details answer. */
export function reportFromDetails(details: RefundDetails, at: string): GatePayReport {
  const failReason = details.refund_fail_reason ?? undefined;
  const c = classifyRefundStatus("v2", details.status, failReason ? { failReason } : undefined);
  return reportGatePayAnswer({
    source: "details",
    at,
    status: details.status,
    gateRefundId: details.gateRefundId ?? details.refundId ?? undefined,
    orderAmount: details.orderAmount ?? undefined,
    orderCurrency: details.orderCurrency ?? undefined,
    refundAmount: details.amount ?? details.requestAmount ?? undefined,
    currency: details.currency ?? details.requestCurrency ?? undefined,
    failReason,
    outcome: c.outcome,
    known: c.known,
    identity: {
      prepayId: details.orderId ?? undefined,
      requestAmount: details.requestAmount ?? undefined,
      requestCurrency: details.requestCurrency ?? undefined,
    },
  });
}

/** A v1 refund query answer. */
export function reportFromQueryV1(result: RefundQueryV1Result, at: string): GatePayReport {
  const c = classifyRefundStatus("v1", result.refundStatus);
  return reportGatePayAnswer({
    source: "query-v1",
    at,
    status: result.refundStatus ?? undefined,
    orderAmount: result.orderAmount ?? undefined,
    refundAmount: result.refundAmount ?? undefined,
    outcome: c.outcome,
    known: c.known,
  });
}

/** A verified PAY_REFUND webhook (the fields of gatepay/webhook.ts's notification). */
export function reportFromWebhook(
  notification: { bizStatus: string; bizId?: string; refundAmount?: string; orderAmount?: string },
  at: string,
): GatePayReport {
  const c = classifyRefundStatus("webhook", notification.bizStatus);
  return reportGatePayAnswer({
    source: "webhook",
    at,
    status: notification.bizStatus,
    gateRefundId: notification.bizId,
    orderAmount: notification.orderAmount,
    refundAmount: notification.refundAmount,
    outcome: c.outcome,
    known: c.known,
  });
}
