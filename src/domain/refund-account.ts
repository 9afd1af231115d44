/**
 * The account every GatePay call about a refund uses (institution mode,
 * `X-GatePay-On-Behalf-Of`). Fixed at the first send and kept in the record
 * (`submit.onBehalfOf`), so a later change of GATEPAY_ON_BEHALF_OF cannot send a
 * look-up or a poll to the wrong account: there GatePay does not know the refund, a poll
 * would see "not visible" until `stuck`, and a look-up's "not found" could be read as
 * permission to re-send. Pure.
 */
import type { RefundRecord } from "./refund-record.js";

/**
 * A sub-account id, or null for merchant mode: the record's own once sent, else the
 * request's `onBehalfOf`, else `current` (the deployment's GATEPAY_ON_BEHALF_OF now).
 */
export function refundAccountOf(record: RefundRecord, current: string | undefined): string | null {
  if (record.submit.onBehalfOf !== undefined) return record.submit.onBehalfOf;
  return record.request.onBehalfOf ?? current ?? null;
}
