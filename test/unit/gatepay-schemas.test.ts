import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConvertRefundRequest,
  ConvertRefundResult,
  GatePayEnvelope,
  OrderRefundRequest,
  OrderRefundResult,
  parseEnvelopeData,
  parseGatePayJson,
  RefundDetails,
  RefundQueryV1Result,
  RefundWebhookData,
  RefundWebhookEnvelope,
} from "../../src/gatepay/schemas.js";

describe("parseGatePayJson", () => {
  it("keeps ids above 2^53 and amounts with trailing zeros as their exact text", () => {
    const parsed = parseGatePayJson(
      '{"prepayId":1991810932510167040,"amount":0.01200000,"n":2,"t":1700073707111,"neg":-5}',
    );
    expect(parsed).toEqual({
      prepayId: "1991810932510167040",
      amount: "0.01200000",
      n: 2,
      t: 1700073707111,
      neg: -5,
    });
  });

  it("does not touch digits inside strings, escaped quotes included", () => {
    const text = '{"a":"x\\"1991810932510167040\\"","b":[1.50, "2.50"],"c":"\\\\"}';
    expect(parseGatePayJson(text)).toEqual({
      a: 'x"1991810932510167040"',
      b: ["1.50", "2.50"],
      c: "\\",
    });
  });

  it("still rejects invalid JSON (quoting never makes it valid)", () => {
    for (const bad of ["-", "01", "{a:1}", "1.", "[1,]", "", "--1", "1e", '{"a":01}']) {
      expect(() => parseGatePayJson(bad), bad).toThrow(SyntaxError);
    }
  });

  it("agrees with JSON.parse on any JSON whose numbers round-trip", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseGatePayJson(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it("keeps the exact text of any integer literal", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (n) => {
        const parsed = parseGatePayJson(`{"id":${n.toString()}}`) as { id: unknown };
        expect(String(parsed.id)).toBe(n.toString());
      }),
    );
  });
});

describe("GatePayEnvelope", () => {
  it.each([
    ["string", "000000", "000000"],
    ["five zeros", "00000", "00000"],
    ["number", 400002, "400002"],
    ["null", null, undefined],
    ["non-numeric", "INVALID_REQUEST", "INVALID_REQUEST"],
  ])("normalises a %s code", (_name, code, expected) => {
    const env = GatePayEnvelope.parse({ status: "SUCCESS", code, data: {} });
    expect(env.code).toBe(expected);
  });

  it("accepts a missing code, label and errorMessage, and keeps unknown fields", () => {
    const env = GatePayEnvelope.parse({ status: "FAIL", data: null, traceId: "t1" });
    expect(env).toMatchObject({ status: "FAIL", traceId: "t1" });
    expect(env.code).toBeUndefined();
    expect(env.label).toBeUndefined();
  });

  it("requires status", () => {
    expect(GatePayEnvelope.safeParse({ code: "000000", data: {} }).success).toBe(false);
  });
});

describe("parseEnvelopeData", () => {
  it("parses data sent as a JSON string, losslessly", () => {
    expect(parseEnvelopeData('{"refundRequestId":"r1","prepayId":1991810932510167040}')).toEqual({
      refundRequestId: "r1",
      prepayId: "1991810932510167040",
    });
  });

  it("passes objects and null through and reads an empty string as null", () => {
    const obj = { a: 1 };
    expect(parseEnvelopeData(obj)).toBe(obj);
    expect(parseEnvelopeData(null)).toBeNull();
    expect(parseEnvelopeData("  ")).toBeNull();
  });

  it("throws SyntaxError for a string that is not JSON", () => {
    expect(() => parseEnvelopeData("{oops")).toThrow(SyntaxError);
  });
});

describe("request schemas", () => {
  const order = { refundRequestId: "r-1", prepayId: "1647438500687506", refundAmount: "0.8" };

  it("accepts an order refund and keeps field order for serialisation", () => {
    const parsed = OrderRefundRequest.parse({ refundReason: "dup", ...order });
    expect(JSON.stringify(parsed)).toBe(
      '{"refundRequestId":"r-1","prepayId":"1647438500687506","refundAmount":"0.8","refundReason":"dup"}',
    );
  });

  it.each([
    ["number amount", { ...order, refundAmount: 0.8 }],
    ["7 decimals", { ...order, refundAmount: "0.1234567" }],
    ["id over 32 chars", { ...order, refundRequestId: "x".repeat(33) }],
    ["empty prepayId", { ...order, prepayId: "" }],
    ["number prepayId", { ...order, prepayId: 1647438500687506 }],
    ["reason over 256", { ...order, refundReason: "r".repeat(257) }],
  ])("refuses %s", (_name, value) => {
    expect(OrderRefundRequest.safeParse(value).success).toBe(false);
  });

  it("strips fields GatePay does not know", () => {
    const parsed = OrderRefundRequest.parse({ ...order, onBehalfOf: "10002" });
    expect(parsed).not.toHaveProperty("onBehalfOf");
  });

  it("accepts a convert refund with all its fields", () => {
    const req = {
      refundRequestId: "c1",
      prepayId: "p1",
      refundOrderCurrency: "USDT",
      refundOrderAmount: "10",
      refundPayCurrency: "BTC",
      refundPayAmount: "0.0001",
      receiverId: "10001",
    };
    // receiverId goes on the wire as a JSON number (README, "GatePay wire notes").
    expect(ConvertRefundRequest.parse(req)).toEqual({ ...req, receiverId: 10001 });
    expect(ConvertRefundRequest.parse({ ...req, receiverId: 10001 }).receiverId).toBe(10001);
    expect(ConvertRefundRequest.safeParse({ ...req, receiverId: undefined }).success).toBe(false);
  });
});

describe("response data schemas", () => {
  it("order refund result: ids and amounts stay strings, numbers become strings", () => {
    const parsed = OrderRefundResult.parse(
      parseGatePayJson(
        '{"refundRequestId":156123911,"prepayId":1991810932510167040,"orderAmount":"1.00","refundAmount":0.8,"channelId":"ch","extra":true}',
      ),
    );
    expect(parsed).toEqual({
      refundRequestId: "156123911",
      prepayId: "1991810932510167040",
      orderAmount: "1.00",
      refundAmount: "0.8",
      channelId: "ch",
      extra: true,
    });
  });

  it("order refund result requires refundRequestId", () => {
    expect(OrderRefundResult.safeParse({ prepayId: "1" }).success).toBe(false);
  });

  it("convert refund result", () => {
    const parsed = ConvertRefundResult.parse({
      refundRequestId: "c1",
      orderCurrency: "USDT",
      refundOrderAmount: "10",
      payCurrency: "BTC",
      refundPayAmount: "0.0001",
    });
    expect(parsed.refundPayAmount).toBe("0.0001");
  });

  it("v2 details: number or numeric string for enums, strings for id-like fields", () => {
    const fromNumbers = RefundDetails.parse(
      parseGatePayJson(
        '{"refundRequestId":"r1","status":"SUCCESS","refund_style":2,"refund_bear_type":"1","payerId":10001,"refund_to_gate_uid":"10002","createTime":"1700073707111","gateRefundId":1991810932510167040,"amount":"0.01200000"}',
      ),
    );
    expect(fromNumbers).toMatchObject({
      refundRequestId: "r1",
      status: "SUCCESS",
      refund_style: 2,
      refund_bear_type: 1,
      payerId: "10001",
      refund_to_gate_uid: "10002",
      createTime: 1700073707111,
      gateRefundId: "1991810932510167040",
      amount: "0.01200000",
    });
  });

  it("v2 details: only refundRequestId and status are required; unknown fields are kept", () => {
    expect(RefundDetails.parse({ refundRequestId: "r1", status: "PROCESSING", x: 1 })).toEqual({
      refundRequestId: "r1",
      status: "PROCESSING",
      x: 1,
    });
    expect(RefundDetails.safeParse({ refundRequestId: "r1" }).success).toBe(false);
    expect(RefundDetails.safeParse({ status: "SUCCESS" }).success).toBe(false);
  });

  it("v2 details: null or oddly typed optional fields read as absent, not as a failure", () => {
    const parsed = RefundDetails.parse({
      refundRequestId: "r1",
      status: "SUCCESS",
      refund_fail_reason: null,
      refund_style: "two",
      payerId: { nested: true },
      refundDetails: [{ status: "SUCCESS", amount: 1.5, transactTime: "12" }],
    });
    expect(parsed.refund_fail_reason).toBeUndefined();
    expect(parsed.refund_style).toBeUndefined();
    expect(parsed.payerId).toBeUndefined();
    expect(parsed.refundDetails).toEqual([{ status: "SUCCESS", amount: "1.5", transactTime: 12 }]);
  });

  it("v1 query result", () => {
    const parsed = RefundQueryV1Result.parse({ refundRequestId: "r1", refundStatus: "FAIL" });
    expect(parsed.refundStatus).toBe("FAIL");
  });
});

describe("webhook schemas", () => {
  it("envelope accepts client_id or clientId and data as a string or an object", () => {
    const a = RefundWebhookEnvelope.parse({
      bizType: "PAY_REFUND",
      bizId: 79553022813274112,
      bizStatus: "REFUND_SUCCESS",
      client_id: "cid",
      data: "{}",
    });
    expect(a.client_id).toBe("cid");
    const b = RefundWebhookEnvelope.parse({
      bizType: "PAY_REFUND",
      bizId: "79553022813274112",
      bizStatus: "REFUND_SUCCESS",
      clientId: "cid",
      data: {},
    });
    expect(b.clientId).toBe("cid");
  });

  it("data requires refundInfo.refundRequestId", () => {
    expect(RefundWebhookData.safeParse({ refundInfo: {} }).success).toBe(false);
    expect(
      RefundWebhookData.parse({ refundInfo: { refundRequestId: 1, refundAmount: "0.01200000" } })
        .refundInfo,
    ).toEqual({ refundRequestId: "1", refundAmount: "0.01200000" });
  });
});
