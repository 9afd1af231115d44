/** What the create script needs of one new refund (createReserved-n.lua). */
import type { RefundRecord } from "../domain/refund-record.js";
import {
  orderAmountUnits,
  requestFingerprint,
  reservationField,
  reservedUnitsOf,
} from "./record-codec.js";
import type { CreateReservedItem } from "./scripts.js";

/** The create script's item for a new `queued` record, due for reconciling at `reconcileAtMs`. */
export function createItem(record: RefundRecord, reconcileAtMs: number): CreateReservedItem {
  const { request } = record;
  return {
    record,
    fingerprint: requestFingerprint(request),
    reserveUnits: reservedUnitsOf(request),
    orderAmountUnits:
      request.orderAmount === undefined ? undefined : orderAmountUnits(request.orderAmount),
    reservationField: reservationField(request),
    reconcileAtMs,
  };
}
