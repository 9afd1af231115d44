/**
 * Hand-written readers for the client's hot schemas (schemas.ts): the two refund
 * requests, the answer envelope and the data of each answer the worker reads. Each gives
 * exactly what zod gives (the same value, the same keys in the same order, `undefined`
 * where zod writes `undefined`) for the ordinary case, and `undefined` — "ask zod" — for
 * anything else: a field of an unexpected type, a missing required field, a `__proto__`
 * key, an invalid request. zod stays the specification and gives every error message;
 * test/unit/gatepay-fast-shapes.test.ts checks the two agree on generated inputs.
 *
 * Why: zod's lenient answer schemas (40 fields, each a nullish-transform-optional-catch
 * pipeline) and the request schemas cost more CPU per refund than the rest of the
 * client's own work together; a refund's request was already validated on enqueue.
 */
import type { z } from "zod";
import {
  ConvertRefundRequest,
  ConvertRefundResult,
  GatePayEnvelope,
  OrderRefundRequest,
  OrderRefundResult,
  RefundDetails,
  RefundQueryV1Result,
  RefundTransfer,
  RefundWebhookData,
  RefundWebhookEnvelope,
  RefundWebhookRefundInfo,
} from "./schemas.js";

/** A reader: the parsed value, or `undefined` when zod must decide. */
type FastReader = (input: unknown) => unknown;

/** What zod's field helpers do (schemas.ts): `stringLike`, `optString`, `optInt`, … */
type FieldKind = "string" | "stringLike" | "optString" | "optInt" | "optText" | "unknown";

/** Returned by a field reader when zod must decide. */
const ASK_ZOD = Symbol("ask zod");

const INT_TEXT = /^\s*-?\d+\s*$/;

function readField(kind: FieldKind, v: unknown): unknown {
  if (kind === "unknown") return v;
  if (kind !== "string" && kind !== "stringLike" && (v === null || v === undefined)) {
    return undefined;
  }
  switch (typeof v) {
    case "string":
      if (kind === "optInt") return INT_TEXT.test(v) ? Number(v) : ASK_ZOD;
      return v;
    case "number":
      if (kind === "stringLike" || kind === "optString") {
        return Number.isFinite(v) ? String(v) : ASK_ZOD;
      }
      return kind === "optInt" && Number.isSafeInteger(v) ? v : ASK_ZOD;
    default:
      return ASK_ZOD;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A loose object of `fields`: known keys in schema order (present ones only), then the
 * unknown keys as given. `nested` reads one field with a reader of its own.
 */
function looseObject(
  fields: Readonly<Record<string, FieldKind>>,
  nested?: { key: string; read: (v: unknown) => unknown; required?: boolean },
): FastReader {
  const known = Object.keys(fields);
  const all = new Set(nested ? [...known, nested.key] : known);
  return (input) => {
    if (!isObject(input)) return undefined;
    const out: Record<string, unknown> = {};
    for (const key of known) {
      if (!(key in input)) {
        const kind = fields[key]!;
        if (kind === "string" || kind === "stringLike" || kind === "unknown") return undefined;
        continue;
      }
      const r = readField(fields[key]!, input[key]);
      if (r === ASK_ZOD) return undefined;
      out[key] = r;
    }
    if (nested && nested.key in input) {
      const r = nested.read(input[nested.key]);
      if (r === ASK_ZOD) return undefined;
      out[nested.key] = r;
    } else if (nested?.required === true) {
      return undefined;
    }
    for (const key in input) {
      if (key === "__proto__") return undefined;
      if (!all.has(key)) out[key] = input[key];
    }
    return out;
  };
}

const readTransfer = looseObject({
  transactionId: "optString",
  transactTime: "optInt",
  payChannel: "optString",
  status: "optText",
  amount: "optString",
  currency: "optString",
  chain: "optString",
  address: "optString",
  hash: "optString",
  remark: "optText",
  billType: "optString",
});

/** `refundDetails`: lenient(array(RefundTransfer)). */
function readTransfers(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v)) return ASK_ZOD;
  const out: unknown[] = [];
  for (const item of v) {
    const t = readTransfer(item);
    if (t === undefined) return ASK_ZOD;
    out.push(t);
  }
  return out;
}

/** RefundDetails' fields but `refundDetails` (read by {@link readTransfers}; last in zod's order). */
const detailFields: Record<string, FieldKind> = {
  refundRequestId: "stringLike",
  status: "string",
  gateRefundId: "optString",
  refundId: "optString",
  orderId: "optString",
  merchantTradeNo: "optString",
  createTime: "optInt",
  transactTime: "optInt",
  transactionId: "optString",
  txHash: "optString",
  orderAmount: "optString",
  orderCurrency: "optString",
  requestAmount: "optString",
  requestCurrency: "optString",
  amount: "optString",
  currency: "optString",
  remark: "optText",
  refund_style: "optInt",
  refund_pay_channel: "optInt",
  refund_address: "optString",
  refund_chain: "optString",
  refund_bear_type: "optInt",
  refund_amount_type: "optInt",
  refund_account_type: "optInt",
  refund_gas_amount: "optString",
  refund_fail_reason: "optText",
  refund_to_gate_uid: "optString",
  channelId: "optString",
  nickName: "optText",
  payerId: "optString",
  fromAddress: "optString",
  payChannel: "optString",
  billType: "optString",
  goodsName: "optText",
  totalRequestAmount: "optString",
  totalRequestCurrency: "optString",
  totalReceiveAmount: "optString",
  totalReceiveCurrency: "optString",
};

const readRefundInfo = looseObject({
  refundRequestId: "stringLike",
  prepayId: "optString",
  orderAmount: "optString",
  refundAmount: "optString",
  refundPayCurrency: "optString",
  refundPayAmount: "optString",
});

/** A PAY_REFUND notification's `data` (already parsed from its JSON string). */
const readWebhookData = looseObject(
  {
    merchantTradeNo: "optString",
    productName: "optText",
    productType: "optString",
    tradeType: "optString",
    goodsName: "optText",
    terminalType: "optString",
    currency: "optString",
    orderAmount: "optString",
    createTime: "optInt",
    transactionId: "optString",
    channelId: "optString",
  },
  { key: "refundInfo", read: (v) => readRefundInfo(v) ?? ASK_ZOD, required: true },
);

/** The notification body; `data` as the JSON string GatePay sends (an object: zod). */
const readWebhookEnvelope = looseObject(
  {
    bizType: "string",
    bizId: "stringLike",
    bizStatus: "string",
    client_id: "optString",
    clientId: "optString",
  },
  { key: "data", read: (v) => (typeof v === "string" ? v : ASK_ZOD), required: true },
);

// ---------------------------------------------------------------------------------------
// Requests: valid (then exactly zod's output) or undefined.

const REQUEST_AMOUNT = /^(0|[1-9]\d*)(\.\d{1,6})?$/;
const DIGITS = /^[1-9]\d*$/;
const str = (v: unknown, min: number, max = Infinity): v is string =>
  typeof v === "string" && v.length >= min && v.length <= max;
const amount = (v: unknown): v is string => typeof v === "string" && REQUEST_AMOUNT.test(v);
const reason = (r: Record<string, unknown>): boolean =>
  r["refundReason"] === undefined || str(r["refundReason"], 0, 256);
/** zod's output carries `refundReason` when the input had the key, even undefined. */
const withReason = (r: Record<string, unknown>, out: Record<string, unknown>): unknown => {
  if ("refundReason" in r) out["refundReason"] = r["refundReason"];
  return out;
};

function readOrderRequest(r: unknown): unknown {
  if (!isObject(r) || !str(r["refundRequestId"], 1, 32) || !str(r["prepayId"], 1)) return;
  if (!amount(r["refundAmount"]) || !reason(r)) return;
  const { refundRequestId, prepayId, refundAmount } = r;
  return withReason(r, { refundRequestId, prepayId, refundAmount });
}

function readConvertRequest(r: unknown): unknown {
  if (!isObject(r) || !str(r["refundRequestId"], 1, 32) || !str(r["prepayId"], 1)) return;
  if (!str(r["refundOrderCurrency"], 1) || !amount(r["refundOrderAmount"])) return;
  if (!str(r["refundPayCurrency"], 1) || !amount(r["refundPayAmount"]) || !reason(r)) return;
  const raw = r["receiverId"];
  const receiverId =
    typeof raw === "number" ? raw : typeof raw === "string" && DIGITS.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(receiverId) || receiverId <= 0) return;
  const { refundRequestId, prepayId, refundOrderCurrency, refundOrderAmount } = r;
  const { refundPayCurrency, refundPayAmount } = r;
  return withReason(r, {
    refundRequestId,
    prepayId,
    refundOrderCurrency,
    refundOrderAmount,
    refundPayCurrency,
    refundPayAmount,
    receiverId,
  });
}

const READERS = new Map<z.ZodType, FastReader>([
  [OrderRefundRequest, readOrderRequest],
  [ConvertRefundRequest, readConvertRequest],
  [
    GatePayEnvelope,
    looseObject({
      status: "string",
      code: "optString",
      label: "optText",
      errorMessage: "optText",
      data: "unknown",
    }),
  ],
  [
    OrderRefundResult,
    looseObject({
      refundRequestId: "stringLike",
      prepayId: "optString",
      orderAmount: "optString",
      refundAmount: "optString",
      channelId: "optString",
    }),
  ],
  [
    ConvertRefundResult,
    looseObject({
      refundRequestId: "stringLike",
      prepayId: "optString",
      orderCurrency: "optString",
      orderAmount: "optString",
      refundOrderAmount: "optString",
      payCurrency: "optString",
      payAmount: "optString",
      refundPayAmount: "optString",
    }),
  ],
  [
    RefundQueryV1Result,
    looseObject({
      refundRequestId: "stringLike",
      prepayId: "optString",
      orderAmount: "optString",
      refundAmount: "optString",
      refundStatus: "optText",
      channelId: "optString",
    }),
  ],
  [RefundTransfer, readTransfer],
  [RefundDetails, looseObject(detailFields, { key: "refundDetails", read: readTransfers })],
  [RefundWebhookEnvelope, readWebhookEnvelope],
  [RefundWebhookData, readWebhookData],
  [RefundWebhookRefundInfo, readRefundInfo],
]);

/**
 * The hand-written reader's value for `input`, or `undefined` when `schema` has none or it
 * leaves the case to zod.
 */
export function readFast(schema: z.ZodType, input: unknown): unknown {
  return READERS.get(schema)?.(input);
}

/**
 * `schema.safeParse(input)`, through the hand-written reader when there is one and it
 * can decide (`success: true` with zod's value), else zod itself.
 */
export function parseFast<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { success: true; data: z.output<S> } | z.ZodSafeParseResult<z.output<S>> {
  const fast = readFast(schema, input);
  if (fast !== undefined) return { success: true, data: fast as z.output<S> };
  return schema.safeParse(input);
}
