/**
 * zod schemas for what goes to GatePay and what comes back (gatepay-api.md §4–§7).
 *
 * Requests are strict (they are what we sign and send). Responses are lenient where the
 * docs disagree with each other: `code` may be a string, a number or null, `data` an
 * object or a JSON string, several fields a number or a numeric string (§4, §6.2, §12).
 * Unknown fields are kept (`.loose()`), and an optional field of an unexpected type is
 * dropped rather than failing the whole answer: a poll must not stall on a cosmetic field.
 *
 * Ids and amounts are strings end to end. Parse GatePay JSON with
 * {@link parseGatePayJson}, which turns every number literal that a JavaScript number
 * cannot hold exactly (ids above 2^53, amounts such as `10.50`) into its exact text.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------
// Lossless JSON

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A character of a JSON number token: `0-9 e E . + -`. */
const isNumberChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || c === 0x65 || c === 0x45 || c === 0x2e || c === 0x2b || c === 0x2d;

/**
 * `JSON.parse`, except that a number literal whose text does not survive a round trip
 * through a JavaScript number (e.g. `1991810932510167040`, `0.01200000`, `1e3`) becomes a
 * string holding its exact text. Small integers (enums, millisecond times) stay numbers.
 * Invalid JSON still throws `SyntaxError`: only tokens that are valid JSON numbers are
 * quoted.
 */
export function parseGatePayJson(text: string): unknown {
  let out = "";
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else {
          i++;
          if (d === 0x22) break;
        }
      }
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++;
      const token = text.slice(start, i);
      if (JSON_NUMBER.test(token) && String(Number(token)) !== token) {
        out += `${text.slice(copiedUpTo, start)}"${token}"`;
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  return JSON.parse(copiedUpTo === 0 ? text : out + text.slice(copiedUpTo));
}

// ---------------------------------------------------------------------------------------
// Field helpers

/**
 * An id or amount: a string, or a JSON number converted with `String()`. A number that
 * reached here through plain `JSON.parse` may already have lost precision (ids above
 * 2^53); {@link parseGatePayJson} avoids that by keeping such literals as text.
 */
const stringLike = z.union([z.string(), z.number().transform((n) => String(n))]);

/** A small integer (enum, millisecond time) sent as a number or a numeric string (§6.2). */
const intLike = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\s*-?\d+\s*$/)
    .transform((s) => Number(s)),
]);

/** Optional response field: absent, null or of an unexpected type all read as undefined. */
function lenient<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((v) => v ?? undefined)
    .optional()
    .catch(undefined);
}

const optString = lenient(stringLike);
const optInt = lenient(intLike);
const optText = lenient(z.string());

// ---------------------------------------------------------------------------------------
// Requests (field names go on the wire as they are)

const REQUEST_AMOUNT = /^(0|[1-9]\d*)(\.\d{1,6})?$/;
const requestAmount = z
  .string()
  .regex(REQUEST_AMOUNT, "must be a decimal string with at most 6 decimals (§4.1)");
const requestId = z.string().min(1);
const refundRequestId = z.string().min(1).max(32); // unique per merchant, ≤ 32 chars (§9)
const refundReason = z.string().max(256).optional(); // ≤ 256 chars (§5.1)

/** Body of `POST …/v1/pay/order/refund` (§5.1, §5.2). */
export const OrderRefundRequest = z.object({
  refundRequestId,
  prepayId: requestId,
  refundAmount: requestAmount,
  refundReason,
});
export type OrderRefundRequest = z.infer<typeof OrderRefundRequest>;

/**
 * `receiverId`, the Gate user id receiving a convert refund: sent as a JSON number, as
 * Gate's official SDKs type it and the seed documents' examples send it (README, "GatePay
 * wire notes"). Digits in a string are accepted on input; the value must be a positive
 * safe integer, so the number on the wire is exact.
 */
export const ReceiverId = z
  .union([z.number(), z.string().regex(/^[1-9]\d*$/, "must be a positive safe integer")])
  .transform((v) => (typeof v === "number" ? v : Number(v)))
  .refine((n) => Number.isSafeInteger(n) && n > 0, "must be a positive safe integer");

/** Body of `POST …/v1/pay/address/refundconvert` (§5.4). */
export const ConvertRefundRequest = z.object({
  refundRequestId,
  prepayId: requestId,
  refundOrderCurrency: requestId,
  refundOrderAmount: requestAmount,
  refundPayCurrency: requestId,
  refundPayAmount: requestAmount,
  receiverId: ReceiverId,
  refundReason,
});
/** The body as sent: `receiverId` a number. */
export type ConvertRefundRequest = z.output<typeof ConvertRefundRequest>;
/** What the client accepts: `receiverId` a number or a string of digits. */
export type ConvertRefundRequestInput = z.input<typeof ConvertRefundRequest>;

/** Body of `POST /v1/pay/order/refund/query` (§6.3). */
export const RefundQueryV1Request = z.object({ refundRequestId });
export type RefundQueryV1Request = z.infer<typeof RefundQueryV1Request>;

// ---------------------------------------------------------------------------------------
// Response envelope (§4)

/**
 * `{status, code, label?, errorMessage?, data}`. Success is `status === "SUCCESS"`, never
 * judged by `code` ("000000", "00000" and null all occur, §4). `code` is normalised to a
 * string or undefined. `data` is left raw: use {@link parseEnvelopeData}.
 */
export const GatePayEnvelope = z
  .object({
    status: z.string(),
    code: lenient(stringLike),
    label: optText,
    errorMessage: optText,
    data: z.unknown(),
  })
  .loose();
export type GatePayEnvelope = z.infer<typeof GatePayEnvelope>;

/**
 * The envelope's `data`: an object as is, a JSON string parsed (SEC-SIG's examples send
 * it as a string, §4), an empty string as null.
 * @throws SyntaxError when `data` is a string that is not JSON.
 */
export function parseEnvelopeData(data: unknown): unknown {
  if (typeof data !== "string") return data;
  if (data.trim() === "") return null;
  return parseGatePayJson(data);
}

// ---------------------------------------------------------------------------------------
// Response data

/** `data` of an accepted order refund (§5.1). Acceptance only: the outcome comes later (§6.1). */
export const OrderRefundResult = z
  .object({
    refundRequestId: stringLike,
    prepayId: optString,
    orderAmount: optString,
    refundAmount: optString,
    channelId: optString,
  })
  .loose();
export type OrderRefundResult = z.infer<typeof OrderRefundResult>;

/** `data` of an accepted convert refund (§5.4 refundconvert response). */
export const ConvertRefundResult = z
  .object({
    refundRequestId: stringLike,
    prepayId: optString,
    orderCurrency: optString,
    orderAmount: optString,
    refundOrderAmount: optString,
    payCurrency: optString,
    payAmount: optString,
    refundPayAmount: optString,
  })
  .loose();
export type ConvertRefundResult = z.infer<typeof ConvertRefundResult>;

/** One transfer of a refund (`refundDetails[]`, §6.2). */
export const RefundTransfer = z
  .object({
    transactionId: optString,
    transactTime: optInt,
    payChannel: optString,
    status: optText,
    amount: optString,
    currency: optString,
    chain: optString,
    address: optString,
    hash: optString,
    remark: optText,
    billType: optString,
  })
  .loose();
export type RefundTransfer = z.infer<typeof RefundTransfer>;

/**
 * `data` of `GET /v2/pay/refund/details` (§6.2). Only `refundRequestId` and `status` are
 * required; `status` is an open enum (see refund-status.ts). Field names are GatePay's,
 * camelCase and snake_case mixed. Id-like fields (`payerId`, `refund_to_gate_uid`, …)
 * are strings; the 1/2 enums (`refund_style`, …) and times (ms) are numbers, whichever of
 * the two GatePay sent.
 */
export const RefundDetails = z
  .object({
    refundRequestId: stringLike,
    status: z.string(),
    gateRefundId: optString,
    refundId: optString,
    orderId: optString,
    merchantTradeNo: optString,
    createTime: optInt,
    transactTime: optInt,
    transactionId: optString,
    txHash: optString,
    orderAmount: optString,
    orderCurrency: optString,
    requestAmount: optString,
    requestCurrency: optString,
    amount: optString,
    currency: optString,
    remark: optText,
    refund_style: optInt,
    refund_pay_channel: optInt,
    refund_address: optString,
    refund_chain: optString,
    refund_bear_type: optInt,
    refund_amount_type: optInt,
    refund_account_type: optInt,
    refund_gas_amount: optString,
    refund_fail_reason: optText,
    refund_to_gate_uid: optString,
    channelId: optString,
    nickName: optText,
    payerId: optString,
    fromAddress: optString,
    payChannel: optString,
    billType: optString,
    goodsName: optText,
    totalRequestAmount: optString,
    totalRequestCurrency: optString,
    totalReceiveAmount: optString,
    totalReceiveCurrency: optString,
    refundDetails: lenient(z.array(RefundTransfer)),
  })
  .loose();
export type RefundDetails = z.infer<typeof RefundDetails>;

/** `data` of `POST /v1/pay/order/refund/query` (§6.3); `refundStatus` SUCCESS / FAIL. */
export const RefundQueryV1Result = z
  .object({
    refundRequestId: stringLike,
    prepayId: optString,
    orderAmount: optString,
    refundAmount: optString,
    refundStatus: optText,
    channelId: optString,
  })
  .loose();
export type RefundQueryV1Result = z.infer<typeof RefundQueryV1Result>;

// ---------------------------------------------------------------------------------------
// PAY_REFUND webhook (§7.3)

/** `refundInfo` inside a PAY_REFUND notification's `data`. */
export const RefundWebhookRefundInfo = z
  .object({
    refundRequestId: stringLike,
    prepayId: optString,
    orderAmount: optString,
    refundAmount: optString,
    refundPayCurrency: optString,
    refundPayAmount: optString,
  })
  .loose();
export type RefundWebhookRefundInfo = z.infer<typeof RefundWebhookRefundInfo>;

/** The parsed `data` of a PAY_REFUND notification (sent as a JSON string, §7.3). */
export const RefundWebhookData = z
  .object({
    merchantTradeNo: optString,
    productName: optText,
    productType: optString,
    tradeType: optString,
    goodsName: optText,
    terminalType: optString,
    currency: optString,
    orderAmount: optString,
    createTime: optInt,
    transactionId: optString,
    channelId: optString,
    refundInfo: RefundWebhookRefundInfo,
  })
  .loose();
export type RefundWebhookData = z.infer<typeof RefundWebhookData>;

/**
 * The notification body before `data` is parsed. The client id arrives as `client_id` or
 * `clientId` (§7.3, §12.7); both are kept here, webhook.ts picks one.
 */
export const RefundWebhookEnvelope = z
  .object({
    bizType: z.string(),
    bizId: stringLike,
    bizStatus: z.string(),
    client_id: optString,
    clientId: optString,
    data: z.union([z.string(), z.record(z.string(), z.unknown())]),
  })
  .loose();
export type RefundWebhookEnvelope = z.infer<typeof RefundWebhookEnvelope>;
