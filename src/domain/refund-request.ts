/**
 * Validation of refund requests (library, CLI, HTTP API and batch rows all go through
 * here). Strict on purpose: a bad request is refused before anything is stored or sent,
 * with every problem named by field.
 *
 * - `refundRequestId`: 1–32 characters (GatePay's limit, gatepay-api.md §9) of letters,
 *   digits, `_` and `-`. The charset keeps it safe inside Redis keys and BullMQ job ids.
 * - Amounts: canonical decimal strings with at most 6 decimals, 0.0001 – 5,000,000
 *   (§4.1). A JSON number is refused: it may already have lost precision.
 * - Ids that look like numbers (`prepayId`, `receiverId`) must be strings: GatePay's ids
 *   exceed 2^53 (§4.1).
 * - `receiverId` (a Gate user id) is digits naming a positive safe integer: it goes to
 *   GatePay as a JSON number, as Gate's SDKs send it (README, "GatePay wire notes"), so
 *   it must survive the conversion exactly.
 */
import { z } from "zod";
import { checkRefundAmount, MAX_AMOUNT_DECIMALS, normalizeAmount } from "./amount.js";
import { ValidationError, type FieldIssue } from "./errors.js";
import { REFUND_AMOUNT_FIELDS, REFUND_REQUEST_FIELDS } from "./refund-fields.js";
import type { RefundRequestFields } from "./refund-record.js";

export const REFUND_REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const CURRENCY_PATTERN = /^[A-Za-z0-9]{1,16}$/;
const ORDER_AMOUNT_PATTERN = new RegExp(`^(0|[1-9]\\d*)(\\.\\d{1,${MAX_AMOUNT_DECIMALS}})?$`);

function stringField(what: string) {
  return z.string({
    error: (iss) =>
      iss.input === undefined
        ? "is required"
        : typeof iss.input === "number"
          ? `must be a string, not a number (${what} lose precision as JSON numbers)`
          : "must be a string",
  });
}

const refundRequestId = stringField("ids").regex(
  REFUND_REQUEST_ID_PATTERN,
  "must be 1-32 characters of letters, digits, '_' or '-'",
);
const id = stringField("ids").regex(
  ID_PATTERN,
  "must be 1-64 characters of letters, digits, '_' or '-'",
);
const receiverId = stringField("ids")
  .regex(/^[1-9]\d*$/, {
    error: "must be a Gate user id: digits, a positive integer",
    abort: true,
  })
  .refine((s) => Number.isSafeInteger(Number(s)), "must be at most 9007199254740991 (2^53 - 1)");
const amount = stringField("amounts").superRefine((s, ctx) => {
  const check = checkRefundAmount(s);
  if (!check.ok) ctx.addIssue({ code: "custom", message: check.reason });
});
const orderAmount = stringField("amounts").regex(
  ORDER_AMOUNT_PATTERN,
  'must be a decimal string like "100.00"',
);
const currency = stringField("currencies").regex(
  CURRENCY_PATTERN,
  "must be a currency code like USDT",
);
const reason = stringField("reasons").max(256, "must be at most 256 characters").optional();
const onBehalfOf = id.optional();

const orderRefundSchema = z.strictObject(
  {
    kind: z.literal("order").optional().default("order"),
    refundRequestId,
    prepayId: id,
    refundAmount: amount,
    refundReason: reason,
    onBehalfOf,
    orderAmount: orderAmount.optional(),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `unknown field(s): ${iss.keys.join(", ")}` : undefined,
  },
);

const convertRefundSchema = z.strictObject(
  {
    kind: z.literal("convert"),
    refundRequestId,
    prepayId: id,
    refundOrderCurrency: currency,
    refundOrderAmount: amount,
    refundPayCurrency: currency,
    refundPayAmount: amount,
    receiverId,
    refundReason: reason,
    onBehalfOf,
    orderAmount: orderAmount.optional(),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `unknown field(s): ${iss.keys.join(", ")}` : undefined,
  },
);

/** Every request {@link parseRefundRequest} returned (frozen: it cannot have changed since). */
const VALIDATED = new WeakSet<object>();

/** Any refund request input; `kind` selects order (default) or convert. */
export type RefundRequestInput =
  z.input<typeof orderRefundSchema> | z.input<typeof convertRefundSchema>;

/**
 * Validates one refund request. Empty strings for optional fields count as absent (CSV
 * cells). Throws {@link ValidationError} listing every problem with its field path.
 */
export function parseRefundRequest(input: unknown): RefundRequestFields {
  // A request this function returned (frozen, so unchanged since): already valid. A batch
  // file's rows are validated as they are read, then handed to enqueueBulk, which would
  // otherwise validate each one again.
  if (VALIDATED.has(input as object)) return input as RefundRequestFields;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ValidationError([{ path: "", message: "must be an object" }]);
  }
  const cleaned: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === "" || v === null || v === undefined) continue;
    cleaned[k] = v;
  }
  const kind = cleaned["kind"];
  if (kind !== undefined && kind !== "order" && kind !== "convert") {
    throw new ValidationError([{ path: "kind", message: 'must be "order" or "convert"' }]);
  }
  const schema = kind === "convert" ? convertRefundSchema : orderRefundSchema;
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ValidationError(
      // One issue per unknown field, so a batch report can name each column.
      result.error.issues.flatMap((i): FieldIssue[] =>
        i.code === "unrecognized_keys"
          ? i.keys.map((k) => ({
              path: [...i.path.map(String), k].join("."),
              message: "is not a known field",
            }))
          : [{ path: i.path.map(String).join("."), message: i.message }],
      ),
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result.data)) if (v !== undefined) out[k] = v;
  VALIDATED.add(Object.freeze(out));
  return out as unknown as RefundRequestFields;
}

/** The amount a refund takes from its order (in the order's currency). */
export function reservedAmountOf(request: RefundRequestFields): string {
  return request.kind === "convert" ? request.refundOrderAmount : request.refundAmount;
}

const AMOUNT_FIELDS: ReadonlySet<string> = new Set(REFUND_AMOUNT_FIELDS);

/** Fields compared for idempotency: everything that changes what GatePay would be asked. */
export function requestFingerprintFields(request: RefundRequestFields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(request)) {
    if (k === "orderAmount" || v === undefined) continue;
    // "10" and "10.00" ask GatePay for the same money.
    out[k] = AMOUNT_FIELDS.has(k) ? normalizeAmount(String(v)) : String(v);
  }
  return out;
}

/** Every field a request may have, in the fingerprint's (sorted) order. */
const FINGERPRINT_ORDER: readonly string[] = [...REFUND_REQUEST_FIELDS].sort();

/**
 * The text {@link requestFingerprintFields} hashes to: the JSON of its `[field, value]`
 * pairs sorted by field, built in one go (the same text as sorting them each time).
 */
export function requestFingerprintText(request: RefundRequestFields): string {
  const fields = request as unknown as Record<string, string | undefined>;
  let text = "";
  let present = 0;
  for (const k of FINGERPRINT_ORDER) {
    const v = fields[k];
    if (v === undefined) continue;
    present += 1;
    if (k === "orderAmount") continue;
    const value = AMOUNT_FIELDS.has(k) ? normalizeAmount(String(v)) : String(v);
    text += `${text === "" ? "" : ","}["${k}",${JSON.stringify(value)}]`;
  }
  // A field outside the known ones (not from parseRefundRequest): the general way.
  if (present !== Object.keys(fields).filter((k) => fields[k] !== undefined).length) {
    const all = requestFingerprintFields(request);
    return JSON.stringify(
      Object.keys(all)
        .sort()
        .map((k) => [k, all[k]]),
    );
  }
  return `[${text}]`;
}

/** Names of the fields where two requests differ (for {@link IdempotencyConflictError}). */
export function differingRequestFields(a: RefundRequestFields, b: RefundRequestFields): string[] {
  const fa = requestFingerprintFields(a);
  const fb = requestFingerprintFields(b);
  const keys = new Set([...Object.keys(fa), ...Object.keys(fb)]);
  return [...keys].filter((k) => fa[k] !== fb[k]).sort();
}
