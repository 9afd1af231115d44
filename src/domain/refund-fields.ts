/**
 * The names of a refund request's fields, once: the batch file's columns (DESIGN.md
 * "Batch file columns"), the batch report's columns, validation and the CLI take theirs
 * from these lists. Pure data; the fields' types are in refund-record.ts and their rules
 * in refund-request.ts (a unit test checks that these lists and those types name the
 * same fields).
 */
import type { ConvertRefundFields, OrderRefundFields } from "./refund-record.js";

/** Any field of a refund request, of either kind. */
type RequestField = keyof OrderRefundFields | keyof ConvertRefundFields;

/** The fields of an order refund (gatepay-api.md §5.1), in batch column order. */
export const ORDER_REFUND_FIELDS = [
  "refundRequestId",
  "prepayId",
  "refundAmount",
  "refundReason",
] as const satisfies readonly (keyof OrderRefundFields)[];

/** What a convert refund adds (`kind=convert`, gatepay-api.md §5.4), in column order. */
export const CONVERT_REFUND_FIELDS = [
  "kind",
  "refundOrderCurrency",
  "refundOrderAmount",
  "refundPayCurrency",
  "refundPayAmount",
  "receiverId",
] as const satisfies readonly (keyof ConvertRefundFields)[];

/**
 * Optional on either kind: the sub-account of institution mode, and the order's total
 * when the producer knows it (it checks this request against the over-refund guard; never sent to GatePay, never stored as the order's cap).
 */
export const OPTIONAL_REFUND_FIELDS = [
  "onBehalfOf",
  "orderAmount",
] as const satisfies readonly RequestField[];

/** Every field of a refund request, in batch column order. */
export const REFUND_REQUEST_FIELDS = [
  ...ORDER_REFUND_FIELDS,
  ...CONVERT_REFUND_FIELDS,
  ...OPTIONAL_REFUND_FIELDS,
] as const;

/** The name of a field of a refund request. */
export type RefundRequestFieldName = (typeof REFUND_REQUEST_FIELDS)[number];

/** The amounts GatePay is asked to move (decimal strings, compared normalized). */
export const REFUND_AMOUNT_FIELDS = [
  "refundAmount",
  "refundOrderAmount",
  "refundPayAmount",
] as const satisfies readonly RefundRequestFieldName[];

/**
 * What money a request moves: its kind, its order, the amounts and their currencies. The
 * batch report shows these for every row, in this order.
 */
export const REFUND_MONEY_FIELDS = [
  "kind",
  "prepayId",
  "refundAmount",
  "refundOrderCurrency",
  "refundOrderAmount",
  "refundPayCurrency",
  "refundPayAmount",
] as const satisfies readonly RefundRequestFieldName[];
