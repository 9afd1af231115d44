/**
 * How a refund record and its request are kept in Redis: the record as JSON in the
 * record hash's `rec` field, the request's fingerprint in `fp`, and amounts as integer
 * micro-units in the order hash (the over-refund reservation).
 */
import { hash, randomBytes } from "node:crypto";
import { amountToUnits, normalizeAmount, unitsToAmount } from "../domain/amount.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";
import { requestFingerprintText, reservedAmountOf } from "../domain/refund-request.js";

/** Micro-units: GatePay's request precision (6 decimals, gatepay-api.md §4.1). */
export const UNIT_SCALE = 6;

/** A record as stored in the record hash's `rec` field. */
export function decodeRecord(json: string): RefundRecord {
  return JSON.parse(json) as RefundRecord;
}

const WRITE_ID_BYTES = 12;
let writeIdPool = Buffer.alloc(0);
let writeIdOffset = 0;

/**
 * A record write's id: 96 random bits (unique per write for any practical purpose), in
 * base64url. Taken from a pool of crypto-random bytes filled 256 ids at a time: one
 * `randomBytes` call per write cost more CPU than the rest of building the write, and
 * each id still gets bytes of its own that no other id shares.
 */
export function newWriteId(): string {
  if (writeIdOffset + WRITE_ID_BYTES > writeIdPool.length) {
    writeIdPool = randomBytes(WRITE_ID_BYTES * 256);
    writeIdOffset = 0;
  }
  const id = writeIdPool.toString("base64url", writeIdOffset, writeIdOffset + WRITE_ID_BYTES);
  writeIdOffset += WRITE_ID_BYTES;
  return id;
}

/** A stable hash of what GatePay would be asked: equal requests are idempotent replays. */
export function requestFingerprint(request: RefundRequestFields): string {
  return hash("sha256", requestFingerprintText(request), "base64url").slice(0, 32);
}

/** What a refund reserves against its order, in micro-units (requests have ≤ 6 decimals). */
export function reservedUnitsOf(request: RefundRequestFields): bigint {
  return amountToUnits(reservedAmountOf(request), UNIT_SCALE);
}

/** 10^UNIT_SCALE: one unit of the order amount's integer part, in micro-units. */
const UNITS_PER_WHOLE = 10n ** BigInt(UNIT_SCALE);

/**
 * An amount with at most {@link UNIT_SCALE} decimals and no sign or leading zeros: the
 * form GatePay sends, read without normalizing first (its trailing zeros change nothing
 * once the fraction is padded to six digits).
 */
const MICRO_AMOUNT = /^(0|[1-9]\d*)(?:\.(\d{1,6}))?$/;

/** Floors an order amount to micro-units: a conservative cap when it has more decimals. */
export function orderAmountUnits(amount: string): bigint {
  const m = typeof amount === "string" ? MICRO_AMOUNT.exec(amount) : null;
  if (m) return BigInt(m[1]!) * UNITS_PER_WHOLE + BigInt((m[2] ?? "").padEnd(UNIT_SCALE, "0"));
  const normalized = normalizeAmount(amount);
  const [whole = "0", frac = ""] = normalized.split(".");
  return BigInt(whole) * UNITS_PER_WHOLE + BigInt((frac + "000000").slice(0, UNIT_SCALE));
}

/** A stored micro-unit count as a decimal amount. */
export function amountOfUnits(units: bigint | string): string {
  return unitsToAmount(BigInt(units), UNIT_SCALE);
}

/**
 * The order hash field a refund's reservation counts in, so amounts of different
 * currencies are never added: `reserved` for an order refund (its `refundAmount` is in
 * the order's currency), `reserved:<CUR>` for a convert refund's `refundOrderAmount` in
 * `refundOrderCurrency` CUR (the order's or the payer's currency, gatepay-api.md 500205).
 */
export function reservationField(request: RefundRequestFields): string {
  return request.kind === "convert"
    ? `reserved:${request.refundOrderCurrency.toUpperCase()}`
    : "reserved";
}
