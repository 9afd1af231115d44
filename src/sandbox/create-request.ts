/**
 * The body of a refund create request (order refund, gatepay-api.md §5.1; convert
 * refund, §5.4) as GatePay checks it before looking at any order: required fields,
 * lengths, decimal-string amounts. A failure is 400001 with a message naming the field.
 *
 * It reads bodies the way Gate's official SDKs write them (README, "GatePay wire notes"):
 * an optional field sent as `null` is absent (the Java SDK serialises every unset field),
 * keys it does not know (`api`, `headers`, `version`) are ignored, and `receiverId` may
 * be a JSON number (the SDKs' type) or a string of digits.
 */
import { checkRefundAmount } from "../domain/amount.js";
import { failure, type SandboxFailure } from "./envelope.js";
import type { OrderKind } from "./seed-order.js";

/** Most characters in a refundRequestId (gatepay-api.md §9). */
export const MAX_REFUND_REQUEST_ID_LENGTH = 32;
/** Most characters in a refundReason (gatepay-api.md §5.1). */
export const MAX_REFUND_REASON_LENGTH = 256;

/** A create request that passed the parameter checks; `amount` is in the order currency. */
export interface CreateRequest {
  refundRequestId: string;
  prepayId: string;
  amount: string;
  refundReason?: string;
  refundOrderCurrency?: string;
  refundPayCurrency?: string;
  refundPayAmount?: string;
  receiverId?: string;
}

/** Checks a parsed create body; the request, or the 400001 failure to answer with. */
export function parseCreateBody(
  kind: OrderKind,
  body: unknown,
): { request: CreateRequest } | { failure: SandboxFailure } {
  const bad = (message: string) => ({ failure: failure("400001", message) });
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return bad("request body must be a JSON object");
  }
  // null reads as absent: the official Java SDK sends every unset optional field as null.
  const b = Object.fromEntries(
    Object.entries(body as Record<string, unknown>).filter(([, v]) => v !== null),
  );
  const refundRequestId = b["refundRequestId"];
  if (typeof refundRequestId !== "string" || refundRequestId === "") {
    return bad("refundRequestId is required");
  }
  // gatepay-api.md §9: refundRequestId is at most 32 characters.
  if (refundRequestId.length > MAX_REFUND_REQUEST_ID_LENGTH) {
    return bad(`refundRequestId is longer than ${MAX_REFUND_REQUEST_ID_LENGTH} characters`);
  }
  const prepayId = b["prepayId"];
  if (typeof prepayId !== "string" || prepayId === "") return bad("prepayId is required");
  const reason = b["refundReason"];
  if (reason !== undefined && typeof reason !== "string")
    return bad("refundReason must be a string");
  if (typeof reason === "string" && reason.length > MAX_REFUND_REASON_LENGTH) {
    return bad(`refundReason is longer than ${MAX_REFUND_REASON_LENGTH} characters`);
  }
  const amountField = kind === "order" ? "refundAmount" : "refundOrderAmount";
  const amount = b[amountField];
  if (typeof amount !== "string") return bad(`${amountField} is required (a decimal string)`);
  const check = checkRefundAmount(amount);
  if (!check.ok) return bad(`${amountField} ${check.reason}`);
  const request: CreateRequest = { refundRequestId, prepayId, amount };
  if (reason !== undefined) request.refundReason = reason;
  if (kind === "convert") {
    const orderCurrency = b["refundOrderCurrency"];
    const payCurrency = b["refundPayCurrency"];
    if (typeof orderCurrency !== "string" || orderCurrency === "") {
      return bad("refundOrderCurrency is required");
    }
    if (typeof payCurrency !== "string" || payCurrency === "") {
      return bad("refundPayCurrency is required");
    }
    request.refundOrderCurrency = orderCurrency;
    request.refundPayCurrency = payCurrency;
    const payAmount = b["refundPayAmount"];
    if (payAmount !== undefined) {
      if (typeof payAmount !== "string" || !checkRefundAmount(payAmount).ok) {
        return bad("refundPayAmount must be a decimal string");
      }
      request.refundPayAmount = payAmount;
    }
    const receiverId = b["receiverId"];
    if (receiverId !== undefined) {
      const id = receiverIdText(receiverId);
      if (id === undefined) return bad("receiverId must be a positive integer (Gate user id)");
      request.receiverId = id;
    }
  }
  return { request };
}

/**
 * A `receiverId` as its digits: a JSON number (what the SDKs send) that is a positive
 * safe integer, or a string of digits (what the parameter table says). Undefined: neither.
 */
export function receiverIdText(value: unknown): string | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? String(value) : undefined;
  }
  if (typeof value === "string" && /^[1-9]\d*$/.test(value)) return value;
  return undefined;
}
