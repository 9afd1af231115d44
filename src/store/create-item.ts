/** What the create script needs of one new refund (createReserved-n.lua). */
import type { RefundRecord } from "../domain/refund-record.js";
import {
  orderAmountUnits,
  requestFingerprint,
  reservationField,
  reservedUnitsOf,
} from "./record-codec.js";
import type { RefundKeys } from "./keys.js";
import { CREATE_GROUP, createReservedScript, type CreateReservedItem } from "./scripts.js";

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

/** {@link RefundStore.createMany}'s records and script arguments, built ahead of sending. */
export interface PreparedCreates {
  items: readonly CreateReservedItem[];
  /** Each createReserved-n.lua call's arguments. */
  calls: readonly (readonly string[])[];
}

/**
 * The records and createReserved-n.lua calls (one per {@link CREATE_GROUP}) that create
 * `records`, each due for reconciling at `reconcileAtMs`.
 */
export function prepareCreates(
  records: readonly RefundRecord[],
  reconcileAtMs: number,
  keys: RefundKeys,
  eventsMaxLen: number,
): PreparedCreates {
  const items = records.map((r) => createItem(r, reconcileAtMs));
  const calls: string[][] = [];
  for (let i = 0; i < items.length; i += CREATE_GROUP) {
    const group = items.slice(i, i + CREATE_GROUP);
    calls.push(createReservedScript.args({ keys, eventsMaxLen, items: group }));
  }
  return { items, calls };
}
