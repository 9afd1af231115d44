/**
 * The hand-written readers (src/gatepay/fast-shapes.ts) against zod, the specification:
 * on generated inputs — ordinary answers, odd types, missing and unknown fields — the
 * result is zod's (same success, same value, same keys in the same order), and on the
 * ordinary inputs the worker sees the hand-written reader is the one that decided.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFast, readFast } from "../../src/gatepay/fast-shapes.js";
import { serializeRequest } from "../../src/gatepay/request-body.js";
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
} from "../../src/gatepay/schemas.js";

/** Deep equality that also compares key order and `undefined`-valued keys. */
function sameShape(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    return Object.is(a, b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join("\u0000") !== kb.join("\u0000")) return false;
  return ka.every((k) =>
    sameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** Checks agreement; true when the hand-written reader decided (not zod). */
function agreesWithZod(schema: Parameters<typeof parseFast>[0], input: unknown): boolean {
  const fast = parseFast(schema, input);
  const zod = schema.safeParse(input);
  expect(fast.success).toBe(zod.success);
  if (fast.success && zod.success) {
    expect(sameShape(fast.data, zod.data), JSON.stringify({ input, fast: fast.data })).toBe(true);
  }
  return readFast(schema, input) !== undefined;
}

const oddValue = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 60, -0, 1.5, Number.MAX_SAFE_INTEGER + 2),
  fc.string({ maxLength: 6 }),
  fc.constantFrom(" 12 ", "-7", "1.5", "", "abc", "0012"),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const usualValue = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null));

/** Objects over the schema's keys plus unknown ones, values usual or odd. */
function objectsFor(keys: readonly string[], extra?: Record<string, fc.Arbitrary<unknown>>) {
  // Mostly values every field kind takes, so that the reader, not zod, decides often.
  const value = fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(null, "123", " 7 ") },
    { weight: 2, arbitrary: usualValue },
    { weight: 1, arbitrary: oddValue },
  );
  const entries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const k of keys) entries[k] = extra?.[k] ?? value;
  return fc
    .tuple(
      fc.record(entries, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom("zz", "extra", "status2", "__proto__", "toString"), value, {
        maxKeys: 2,
      }),
      fc.boolean(),
    )
    .map(([known, unknown, reversed]) => {
      const all = Object.entries({ ...known, ...unknown });
      if (reversed) all.reverse();
      // JSON.parse makes `__proto__` an own key; so does this.
      return JSON.parse(
        JSON.stringify(Object.fromEntries(all.filter(([k]) => k !== "__proto__"))),
      ) as unknown;
    });
}

const shapeKeys = (s: { shape: object }) => Object.keys(s.shape);
const required = { refundRequestId: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()) };

describe("fast-shapes: answers agree with zod", () => {
  const cases = [
    ["GatePayEnvelope", GatePayEnvelope, { status: fc.string({ maxLength: 8 }) }],
    ["OrderRefundResult", OrderRefundResult, required],
    ["ConvertRefundResult", ConvertRefundResult, required],
    ["RefundQueryV1Result", RefundQueryV1Result, required],
    ["RefundTransfer", RefundTransfer, {}],
    ["RefundWebhookRefundInfo", RefundWebhookRefundInfo, required],
    [
      "RefundWebhookData",
      RefundWebhookData,
      {
        refundInfo: fc.oneof(
          { weight: 4, arbitrary: objectsFor(shapeKeys(RefundWebhookRefundInfo), required) },
          { weight: 1, arbitrary: oddValue },
        ),
      },
    ],
    [
      "RefundWebhookEnvelope",
      RefundWebhookEnvelope,
      {
        bizType: fc.constantFrom("PAY_REFUND", "PAY"),
        bizStatus: fc.constantFrom("REFUND_SUCCESS", "REFUND_FAIL"),
        bizId: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
        data: fc.oneof(fc.string({ maxLength: 20 }), oddValue),
      },
    ],
    [
      "RefundDetails",
      RefundDetails,
      {
        ...required,
        status: fc.constantFrom("SUCCESS", "PROCESSING", "FAIL"),
        refundDetails: fc.oneof(
          fc.array(objectsFor(shapeKeys(RefundTransfer)), { maxLength: 2 }),
          oddValue,
        ),
      },
    ],
  ] as const;
  it.each(cases)("%s", (_name, schema, extra) => {
    let decided = 0;
    let runs = 0;
    fc.assert(
      fc.property(objectsFor(shapeKeys(schema), extra), (input) => {
        runs += 1;
        if (agreesWithZod(schema, input)) decided += 1;
      }),
      { numRuns: 600 },
    );
    // The comparison is worth something only if the reader decided a fair share itself.
    expect(decided / runs).toBeGreaterThan(0.05);
    for (const odd of [null, [], "x", 5, {}]) agreesWithZod(schema, odd);
  });

  it("decides the ordinary answers itself", () => {
    const details = {
      refundRequestId: "156123911",
      status: "SUCCESS",
      gateRefundId: 1991810932510167040n.toString(),
      createTime: 1_700_000_000_000,
      orderAmount: "10.50",
      refund_style: "1",
      refundDetails: [{ amount: "10.5", transactTime: 1_700_000_000_000, status: "SUCCESS" }],
      unknownField: { kept: true },
    };
    expect(readFast(RefundDetails, details)).toBeDefined();
    expect(
      readFast(GatePayEnvelope, { status: "SUCCESS", code: "000000", data: {} }),
    ).toBeDefined();
    expect(readFast(OrderRefundResult, { refundRequestId: "1", refundAmount: 0.8 })).toEqual({
      refundRequestId: "1",
      refundAmount: "0.8",
    });
    const notification = JSON.parse(
      JSON.stringify({
        bizType: "PAY_REFUND",
        bizId: "1991810932510167040",
        bizStatus: "REFUND_SUCCESS",
        clientId: "client-1",
        data: JSON.stringify({
          currency: "USDT",
          orderAmount: "10.5",
          createTime: 1_700_000_000_000,
          refundInfo: { refundRequestId: "156123911", prepayId: "77", refundAmount: "0.8" },
        }),
      }),
    ) as { data: string };
    expect(readFast(RefundWebhookEnvelope, notification)).toBeDefined();
    expect(readFast(RefundWebhookData, JSON.parse(notification.data))).toBeDefined();
    // A field of an odd type is zod's to drop (`.catch`): the reader steps aside.
    expect(readFast(OrderRefundResult, { refundRequestId: "1", refundAmount: true })).toBe(
      undefined,
    );
  });
});

describe("fast-shapes: requests agree with zod", () => {
  const amount = fc.oneof(
    fc.constantFrom("1", "0.8", "10.123456", "0", "01", "1.", "1.1234567", "-1", "", " 1"),
    fc.stringMatching(/^[0-9]{1,4}(\.[0-9]{1,7})?$/),
    fc.integer(),
  );
  const text = (max: number) =>
    fc.oneof(fc.string({ minLength: 0, maxLength: max }), fc.integer(), fc.constant(undefined));
  const order = fc.record(
    {
      refundRequestId: fc.oneof(fc.string({ maxLength: 34 }), fc.integer()),
      prepayId: text(4),
      refundAmount: amount,
      refundReason: fc.oneof(
        text(4),
        fc.string({ minLength: 250, maxLength: 260 }),
        fc.constant(null),
      ),
      extra: fc.string(),
    },
    { requiredKeys: ["refundRequestId", "prepayId"] },
  );
  const convert = fc.record(
    {
      refundRequestId: fc.string({ minLength: 1, maxLength: 33 }),
      prepayId: text(4),
      refundOrderCurrency: text(4),
      refundOrderAmount: amount,
      refundPayCurrency: text(4),
      refundPayAmount: amount,
      receiverId: fc.oneof(
        fc.integer(),
        fc.double(),
        fc.constantFrom("123", "0123", "0", "-5", "1e3", "9007199254740993", 2 ** 53),
      ),
      refundReason: text(4),
    },
    { requiredKeys: ["refundRequestId", "prepayId", "receiverId"] },
  );

  it.each([
    ["OrderRefundRequest", OrderRefundRequest, order],
    ["ConvertRefundRequest", ConvertRefundRequest, convert],
  ] as const)("%s: same verdict, same bytes, same refusal", (name, schema, arb) => {
    fc.assert(
      fc.property(arb, (req) => {
        agreesWithZod(schema, req);
        const zod = schema.safeParse(req);
        if (zod.success) {
          expect(readFast(schema, req)).toBeDefined();
          expect(serializeRequest(schema, req, name)).toBe(JSON.stringify(zod.data));
        } else {
          expect(() => serializeRequest(schema, req, name)).toThrow(`invalid ${name}:`);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
