import { describe, expect, expectTypeOf, it } from "vitest";
import {
  CONVERT_REFUND_FIELDS,
  OPTIONAL_REFUND_FIELDS,
  ORDER_REFUND_FIELDS,
  REFUND_AMOUNT_FIELDS,
  REFUND_MONEY_FIELDS,
  REFUND_REQUEST_FIELDS,
  type RefundRequestFieldName,
} from "../../src/domain/refund-fields.js";
import type { ConvertRefundFields, OrderRefundFields } from "../../src/domain/refund-record.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { BATCH_COLUMNS } from "../../src/producer/batch/index.js";

/** Every field of both kinds, each with a valid value. */
const EVERY_FIELD = {
  refundRequestId: "rf-1",
  prepayId: "1991810932510167040",
  refundReason: "customer return",
  onBehalfOf: "sub-1",
  orderAmount: "100.00",
};

describe("the refund field lists", () => {
  it("name exactly the fields of the request types", () => {
    // Checked by tsc: a field added to the types and not to the lists (or the reverse)
    // fails the typecheck.
    expectTypeOf<RefundRequestFieldName>().toEqualTypeOf<
      keyof OrderRefundFields | keyof ConvertRefundFields
    >();
    expect(new Set(REFUND_REQUEST_FIELDS).size).toBe(REFUND_REQUEST_FIELDS.length);
  });

  it("name exactly the fields validation lets through, of each kind", () => {
    const order = parseRefundRequest({ ...EVERY_FIELD, refundAmount: "12.50" });
    expect(Object.keys(order).sort()).toEqual(
      [...ORDER_REFUND_FIELDS, ...OPTIONAL_REFUND_FIELDS, "kind"].sort(),
    );
    const convert = parseRefundRequest({
      ...EVERY_FIELD,
      kind: "convert",
      refundOrderCurrency: "USDT",
      refundOrderAmount: "100",
      refundPayCurrency: "BTC",
      refundPayAmount: "0.0015",
      receiverId: "10002",
    });
    const convertFields = REFUND_REQUEST_FIELDS.filter(
      (f) => f !== "refundAmount",
    ) as readonly string[];
    expect(Object.keys(convert).sort()).toEqual([...convertFields].sort());
    expect(CONVERT_REFUND_FIELDS).toContain("kind");
  });

  it("are the batch file's columns, in DESIGN.md's order", () => {
    expect(BATCH_COLUMNS).toEqual([
      "refundRequestId",
      "prepayId",
      "refundAmount",
      "refundReason",
      "kind",
      "refundOrderCurrency",
      "refundOrderAmount",
      "refundPayCurrency",
      "refundPayAmount",
      "receiverId",
      "onBehalfOf",
      "orderAmount",
    ]);
  });

  it("subsets are fields of a request", () => {
    const all: ReadonlySet<string> = new Set(REFUND_REQUEST_FIELDS);
    for (const f of [...REFUND_AMOUNT_FIELDS, ...REFUND_MONEY_FIELDS])
      expect(all.has(f)).toBe(true);
  });
});
