/**
 * The over-refund guard's refusal, as a state event. The store decides atomically whether
 * a new refund fits what is left of its order (reservations, DESIGN.md "Scale"); when it
 * does not, the refund is recorded `rejected` with code `OVER_REFUND` and nothing is sent.
 */
import { compareAmounts, subtractAmounts } from "./amount.js";
import type { RefundRequestFields } from "./refund-record.js";
import { reservedAmountOf } from "./refund-request.js";
import type { RefundEvent } from "./refund-state.js";

/** The error code of a refund refused by the over-refund guard. */
export const OVER_REFUND_CODE = "OVER_REFUND";

/**
 * The `over-refund` event for `request`, whose order allows `orderAmount` of which
 * `reserved` is already refunded or in flight (decimal strings).
 */
export function overRefundEvent(
  request: RefundRequestFields,
  order: { orderAmount: string; reserved: string },
): Extract<RefundEvent, { type: "over-refund" }> {
  const { orderAmount, reserved } = order;
  const left =
    compareAmounts(orderAmount, reserved) > 0 ? subtractAmounts(orderAmount, reserved) : "0";
  const message =
    `refund of ${reservedAmountOf(request)} exceeds what is left of order ${request.prepayId}: ` +
    `order amount ${orderAmount}, already refunded or in flight ${reserved}, left ${left}`;
  return { type: "over-refund", error: { code: OVER_REFUND_CODE, message } };
}
