/**
 * The `data` of the sandbox's successful GatePay answers, built from a ledger refund and
 * its order, with the field names and shapes gatepay-api.md documents for each endpoint.
 */
import { compareAmounts } from "../domain/amount.js";
import type { LedgerRefund } from "./ledger.js";
import type { SeedOrder } from "./seed-order.js";

/** Create answers (gatepay-api.md §5.1 for order refunds, §5.4 for convert refunds). */
export function createData(
  r: Readonly<LedgerRefund>,
  order: Readonly<SeedOrder>,
): Record<string, string> {
  if (r.kind === "order") {
    return {
      refundRequestId: r.refundRequestId,
      prepayId: r.prepayId,
      orderAmount: order.amount,
      refundAmount: r.refundAmount,
      channelId: "",
    };
  }
  return {
    refundRequestId: r.refundRequestId,
    prepayId: r.prepayId,
    orderCurrency: order.currency,
    orderAmount: order.amount,
    refundOrderAmount: r.refundAmount,
    payCurrency: order.payCurrency ?? r.refundPayCurrency ?? order.currency,
    payAmount: order.payAmount ?? order.amount,
    refundPayAmount: r.refundPayAmount ?? r.refundAmount,
  };
}

/**
 * v2 details `data` (gatepay-api.md §6.2), field names as GatePay returns them (camelCase
 * and snake_case mixed). `status`: PROCESSING (the sandbox's in-progress value; GatePay's
 * enum is unpublished, §6.4), SUCCESS or FAIL with `refund_fail_reason`.
 */
export function detailsData(
  r: Readonly<LedgerRefund>,
  order: Readonly<SeedOrder>,
): Record<string, string | number> {
  const data: Record<string, string | number> = {
    refundRequestId: r.refundRequestId,
    gateRefundId: r.gateRefundId,
    refundId: r.gateRefundId,
    orderId: r.prepayId,
    createTime: r.createdAtMs,
    orderAmount: order.amount,
    orderCurrency: order.currency,
    requestAmount: r.refundAmount,
    requestCurrency: r.currency,
    amount: r.refundPayAmount ?? r.refundAmount,
    currency: r.refundPayCurrency ?? r.currency,
    status: r.status,
    remark: r.refundReason ?? "",
    refund_style: 1,
    refund_pay_channel: 1,
    refund_bear_type: 1,
    refund_amount_type: compareAmounts(r.refundAmount, order.amount) === 0 ? 1 : 2,
    refund_account_type: 1,
    refund_fail_reason: r.failReason ?? "",
    // A number, as Gate's SDK models type it (`long`); our schema reads either.
    refund_to_gate_uid: r.receiverId === undefined ? "" : Number(r.receiverId),
  };
  if (r.settledAtMs !== undefined) data["transactTime"] = r.settledAtMs;
  return data;
}

/**
 * v1 query `data` (gatepay-api.md §6.3). `refundStatus` PROCESSING is an assumption:
 * only SUCCESS and FAIL are documented.
 */
export function queryV1Data(
  r: Readonly<LedgerRefund>,
  order: Readonly<SeedOrder>,
): Record<string, string> {
  return {
    refundRequestId: r.refundRequestId,
    prepayId: r.prepayId,
    orderAmount: order.amount,
    refundAmount: r.refundAmount,
    refundStatus: r.status,
    channelId: "",
  };
}
