/**
 * GatePay PAY_REFUND notifications: signature verification over the raw body and parsing
 * (gatepay-api.md §7). Verify before any business logic; ack with
 * {@link WEBHOOK_ACK_BODY} only after the status change is durably stored (§7.4).
 */
import { GATEPAY_HEADERS, generateNonce, signPayload, verifySignature } from "./signing.js";
import { WebhookPayloadError, WebhookVerificationError } from "./errors.js";
import { parseFast } from "./fast-shapes.js";
import { parseGatePayJson, RefundWebhookData, RefundWebhookEnvelope } from "./schemas.js";

export { WebhookPayloadError, WebhookVerificationError } from "./errors.js";

/** The body GatePay expects with HTTP 200 once a notification is processed (§7.4). */
export const WEBHOOK_ACK_BODY = '{"returnCode":"SUCCESS","returnMessage":""}';

/** A verified, parsed PAY_REFUND notification. */
export interface RefundNotification {
  bizType: "PAY_REFUND";
  /** Documented as the refund order id; GatePay's own example shows the prepayId (§7.3). */
  bizId: string;
  /** `REFUND_SUCCESS`, `REFUND_PROCESS` or `REFUND_REJECTED` (open enum; see refund-status.ts). */
  bizStatus: string;
  /** From `client_id` or `clientId`, whichever was sent. */
  clientId?: string;
  /** `data.refundInfo.refundRequestId`: the idempotency key (§7.3, §9). */
  refundRequestId: string;
  prepayId?: string;
  refundAmount?: string;
  orderAmount?: string;
  /** The parsed `data`. */
  data: RefundWebhookData;
  /**
   * `X-GatePay-Timestamp`, epoch milliseconds. Not checked for age: GatePay retries for
   * up to 6 h (§7.2, §7.5); the caller may log the skew.
   */
  timestampMs: number;
  /** `X-GatePay-Nonce`. */
  nonce: string;
}

/** Inputs of {@link verifyRefundWebhook}. */
export interface VerifyRefundWebhookInput {
  /** The Payment API Secret (the same one that signs requests, §2.1). */
  secret: string;
  /** Request headers as Node gives them; names are matched case-insensitively. */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: string | Buffer;
}

const TIMESTAMP = /^\d{1,16}$/;

/**
 * Verifies and parses one PAY_REFUND notification.
 *
 * The raw body is decoded as UTF-8 once; that same string is both verified
 * (HMAC-SHA512 of `timestamp\nnonce\nbody\n`, constant-time, case-insensitive hex, §7.2)
 * and parsed. Nothing of the body is trusted before the signature matches.
 *
 * @throws WebhookVerificationError `missing-header` when a signing header is absent or
 *   malformed (timestamp not epoch milliseconds), `bad-signature` when it does not match.
 * @throws WebhookPayloadError naming the field: body not a JSON object, `bizType` not
 *   `PAY_REFUND`, `data` not JSON, `data.refundInfo.refundRequestId` missing.
 */
export function verifyRefundWebhook(input: VerifyRefundWebhookInput): RefundNotification {
  const timestamp = header(input.headers, GATEPAY_HEADERS.timestamp);
  const nonce = header(input.headers, GATEPAY_HEADERS.nonce);
  const signature = header(input.headers, GATEPAY_HEADERS.signature);
  if (timestamp === undefined || nonce === undefined || signature === undefined) {
    const missing: string[] = [];
    if (timestamp === undefined) missing.push(GATEPAY_HEADERS.timestamp);
    if (nonce === undefined) missing.push(GATEPAY_HEADERS.nonce);
    if (signature === undefined) missing.push(GATEPAY_HEADERS.signature);
    throw new WebhookVerificationError(
      "missing-header",
      `missing header(s): ${missing.join(", ")}`,
    );
  }
  if (!TIMESTAMP.test(timestamp)) {
    throw new WebhookVerificationError(
      "missing-header",
      `${GATEPAY_HEADERS.timestamp} is not epoch milliseconds`,
    );
  }

  // §7.2: verify over the raw body as received, never over re-serialised JSON.
  const body = typeof input.rawBody === "string" ? input.rawBody : input.rawBody.toString("utf8");
  if (!verifySignature(input.secret, timestamp, nonce, body, signature)) {
    throw new WebhookVerificationError("bad-signature", "signature does not match the body");
  }

  return parseNotification(body, Number(timestamp), nonce);
}

function parseNotification(body: string, timestampMs: number, nonce: string): RefundNotification {
  let json: unknown;
  try {
    json = parseGatePayJson(body);
  } catch (err) {
    throw new WebhookPayloadError("body", "notification body is not JSON", { cause: err });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new WebhookPayloadError("body", "notification body is not a JSON object");
  }
  const bizType = (json as { bizType?: unknown }).bizType;
  if (bizType !== "PAY_REFUND") {
    throw new WebhookPayloadError(
      "bizType",
      typeof bizType === "string"
        ? `bizType is ${JSON.stringify(bizType.slice(0, 40))}, not PAY_REFUND`
        : "bizType is missing",
    );
  }
  const envelope = parseFast(RefundWebhookEnvelope, json);
  if (!envelope.success) {
    const field = issuePath(envelope.error.issues[0]?.path) || "body";
    throw new WebhookPayloadError(field, `notification field ${field} is missing or invalid`, {
      cause: envelope.error,
    });
  }

  // §7.3: `data` is a JSON string (an object is accepted too).
  let rawData: unknown = envelope.data.data;
  if (typeof rawData === "string") {
    try {
      rawData = parseGatePayJson(rawData);
    } catch (err) {
      throw new WebhookPayloadError("data", "notification data is not JSON", { cause: err });
    }
  }
  const data = parseFast(RefundWebhookData, rawData);
  if (!data.success) {
    const path = issuePath(data.error.issues[0]?.path);
    const field = path ? `data.${path}` : "data";
    throw new WebhookPayloadError(field, `notification field ${field} is missing or invalid`, {
      cause: data.error,
    });
  }

  const { refundInfo } = data.data;
  const notification: RefundNotification = {
    bizType: "PAY_REFUND",
    bizId: envelope.data.bizId,
    bizStatus: envelope.data.bizStatus,
    refundRequestId: refundInfo.refundRequestId,
    data: data.data,
    timestampMs,
    nonce,
  };
  const clientId = envelope.data.client_id ?? envelope.data.clientId;
  if (clientId !== undefined) notification.clientId = clientId;
  if (refundInfo.prepayId !== undefined) notification.prepayId = refundInfo.prepayId;
  if (refundInfo.refundAmount !== undefined) notification.refundAmount = refundInfo.refundAmount;
  if (refundInfo.orderAmount !== undefined) notification.orderAmount = refundInfo.orderAmount;
  return notification;
}

/**
 * Headers for a notification of `body`, signed like GatePay signs them (§7.2): for the
 * sandbox and tests. `now` defaults to `Date.now()` (ms), `nonce` to a fresh 32-char one.
 */
export function signRefundWebhook(
  secret: string,
  body: string,
  now: number = Date.now(),
  nonce: string = generateNonce(),
): Record<string, string> {
  const timestamp = String(now);
  return {
    "Content-Type": "application/json",
    [GATEPAY_HEADERS.timestamp]: timestamp,
    [GATEPAY_HEADERS.nonce]: nonce,
    [GATEPAY_HEADERS.signature]: signPayload(secret, timestamp, nonce, body),
  };
}

function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const first = Array.isArray(value) ? value[0] : value;
    const trimmed = first?.trim();
    if (trimmed) return trimmed;
  }
  return undefined;
}

function issuePath(path: readonly PropertyKey[] | undefined): string {
  return (path ?? []).map((p) => String(p)).join(".");
}
