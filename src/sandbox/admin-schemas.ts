/**
 * zod schemas of the admin request bodies (`POST /__sandbox/...`). They check the shape
 * and types of a body before anything uses it, and name the offending field when it is
 * wrong (`orders[1].amount: must be a string`). The rules that are the sandbox's own (a
 * positive amount, fault ratios adding up to at most 1, an http(s) webhook URL) stay with
 * the checks that also guard `startSandbox`'s options and the CLI's flags (seed-order.ts,
 * faults.ts, options.ts), which run after these.
 */
import { z } from "zod";
import { FAULT_ACTIONS, SANDBOX_OPERATIONS } from "./faults.js";
import { DUPLICATE_MODES } from "./ledger.js";

// Messages name what the field must be; the path in front of them names the field.
const text = z.string({
  error: (issue) => (issue.input === undefined ? "is required" : "must be a string"),
});
const ratio = z.number({ error: "must be a ratio from 0 to 1" }).min(0).max(1);
const ms = z.number({ error: "must be a finite number ≥ 0" }).min(0);
const oneOf = <const T extends readonly string[]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(", ")}` });

/** Errors of an object itself: not an object, or (strict objects) an unknown key. */
const objectError =
  (unknownKey = "unknown field") =>
  (issue: { code?: string | undefined }): string | undefined =>
    issue.code === "unrecognized_keys"
      ? unknownKey
      : issue.code === "invalid_type"
        ? "must be a JSON object"
        : undefined;

/** A paid order to seed (see SeedOrder in seed-order.ts). */
export const SeedOrderBody = z.object(
  {
    prepayId: text,
    amount: text,
    currency: text,
    // Absent or null: a direct-payment order, as the seed-order check reads it.
    kind: oneOf(["order", "convert"]).nullish(),
    payCurrency: text.exactOptional(),
    payAmount: text.exactOptional(),
  },
  { error: objectError() },
);

const SeedOrderEnvelope = z.object(
  { orders: z.array(SeedOrderBody, { error: "must be a list of orders" }) },
  { error: objectError() },
);

/**
 * The orders of a `POST /orders` body: one order, a list of orders, or
 * `{ "orders": [...] }`. Every order is checked before any is returned, so a bad one
 * seeds nothing.
 *
 * @throws RangeError naming each offending field (`orders[1].amount: …` for a list).
 */
export function parseSeedOrders(body: unknown): z.output<typeof SeedOrderBody>[] {
  if (Array.isArray(body)) return parseAdminBody(SeedOrderEnvelope, { orders: body }).orders;
  if (typeof body === "object" && body !== null && "orders" in body) {
    return parseAdminBody(SeedOrderEnvelope, body).orders;
  }
  return [parseAdminBody(SeedOrderBody, body)];
}

/** One operation's faults (see FaultSpec in faults.ts); unknown keys are refused. */
export const FaultSpecBody = z.strictObject(
  {
    latencyMs: ms.exactOptional(),
    latencyJitterMs: ms.exactOptional(),
    http500: ratio.exactOptional(),
    http429: ratio.exactOptional(),
    dropBefore: ratio.exactOptional(),
    dropAfter: ratio.exactOptional(),
    slowAfter: ratio.exactOptional(),
    slowAfterMs: ms.exactOptional(),
    detailsLagMs: ms.exactOptional(),
  },
  { error: objectError("unknown fault") },
);

const FAULT_CONFIG_KEYS = ["default", ...SANDBOX_OPERATIONS];

/** `POST /faults`: the whole fault configuration, `default` and per operation. */
export const FaultConfigBody = z.strictObject(
  Object.fromEntries(FAULT_CONFIG_KEYS.map((key) => [key, FaultSpecBody.exactOptional()])),
  { error: objectError(`unknown operation (expected ${FAULT_CONFIG_KEYS.join(", ")})`) },
);

/** `POST /faults/script`: actions for the next calls of one operation. */
export const FaultScriptBody = z.object(
  {
    operation: oneOf(SANDBOX_OPERATIONS),
    actions: z.array(oneOf(FAULT_ACTIONS), { error: "must be a list of fault actions" }),
  },
  { error: objectError() },
);

/** `POST /settle`: which refunds in progress to settle now, and how (all optional). */
export const SettleBody = z.object(
  {
    refundRequestId: text.exactOptional(),
    status: oneOf(["SUCCESS", "FAIL"]).exactOptional(),
    reason: text.exactOptional(),
  },
  { error: objectError() },
);

/** `POST /config`: settings to change (see SandboxSettings in options.ts). */
export const SettingsBody = z.object(
  {
    duplicateMode: oneOf(DUPLICATE_MODES).exactOptional(),
    settleDelayMs: ms.exactOptional(),
    failureRatio: ratio.exactOptional(),
    failureReason: text.exactOptional(),
    webhookUrl: text.exactOptional(),
  },
  { error: objectError() },
);

/**
 * Parses `value` with `schema`.
 *
 * @throws RangeError listing every problem as `field: reason` (`body` for the whole body).
 */
export function parseAdminBody<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new RangeError(parsed.error.issues.flatMap(describeIssue).join("; "));
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${fieldName([...issue.path, key])}: ${issue.message}`);
  }
  return [`${fieldName(issue.path)}: ${issue.message}`];
}

/** `orders[1].amount`; `body` for the body as a whole. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "body" : out;
}
