/** The sandbox over real HTTP (loopback, port 0): ledger rules, re-posted ids, details and query answers. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DuplicateMode, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { ORDER, CONVERT, call, refund, startTestSandbox } from "../helpers/sandbox-http.js";

let sb: Sandbox;
const start = async (extra: Partial<SandboxOptions> = {}) => (sb = await startTestSandbox(extra));
afterEach(() => sb.close());

describe("ledger rules over HTTP", () => {
  beforeEach(async () => {
    await start({ duplicateMode: "duplicate" });
  });

  it("unknown order → 400202", async () => {
    const r = await call(sb, "/v1/pay/order/refund", { body: refund("u1", "1", "404") });
    expect(r.json).toMatchObject({
      status: "FAIL",
      code: "400202",
      label: "ORDER_NOT_FOUND",
      data: {},
    });
  });

  it("beyond the remaining amount → 500206", async () => {
    expect((await call(sb, "/v1/pay/order/refund", { body: refund("a1", "10") })).json.status).toBe(
      "SUCCESS",
    );
    const r = await call(sb, "/v1/pay/order/refund", { body: refund("a2", "0.51") });
    expect(r.json.code).toBe("500206");
    expect(sb.ledger.order(ORDER.prepayId)?.remainingAmount).toBe("0.5");
  });

  it("refundRequestId over 32 characters → 400001", async () => {
    const r = await call(sb, "/v1/pay/order/refund", { body: refund("x".repeat(33), "1") });
    expect(r.json.code).toBe("400001");
  });

  it("malformed JSON → 400001", async () => {
    const r = await call(sb, "/v1/pay/order/refund", { body: "{not json" });
    expect(r.json.code).toBe("400001");
  });

  it("convert refund on a direct order, and the reverse → 500208", async () => {
    const convert = await call(sb, "/v1/pay/address/refundconvert", {
      body: {
        refundRequestId: "w1",
        prepayId: ORDER.prepayId,
        refundOrderCurrency: "USDT",
        refundOrderAmount: "1",
        refundPayCurrency: "BTC",
        refundPayAmount: "0.0001",
        receiverId: "1",
      },
    });
    expect(convert.json.code).toBe("500208");
    const direct = await call(sb, "/v1/pay/order/refund", {
      body: refund("w2", "1", CONVERT.prepayId),
    });
    expect(direct.json.code).toBe("500208");
    expect(sb.ledger.refunds).toHaveLength(0);
  });

  it("unknown refund on details and v1 query → 400304", async () => {
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=ghost", { method: "GET" });
    expect(d.json).toMatchObject({ status: "FAIL", code: "400304", label: "REFUND_NOT_FOUND" });
    const q = await call(sb, "/v1/pay/order/refund/query", { body: { refundRequestId: "ghost" } });
    expect(q.json.code).toBe("400304");
  });

  it("wrong method → 405, unknown path → 404", async () => {
    const r = await call(sb, "/v2/pay/refund/details?refundRequestId=x", { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET");
    const n = await call(sb, "/v9/nothing");
    expect(n.status).toBe(404);
    expect(sb.counters().unknownPaths).toBe(1);
  });
});

describe("re-posted refundRequestId (gatepay-api.md §9), one mode each", () => {
  async function postTwice(mode: DuplicateMode) {
    await start({ duplicateMode: mode });
    const first = await call(sb, "/v1/pay/order/refund", { body: refund("same", "4") });
    const second = await call(sb, "/v1/pay/order/refund", { body: refund("same", "4") });
    return { first, second };
  }

  it("duplicate: a second refund is recorded and money moves twice", async () => {
    const { first, second } = await postTwice("duplicate");
    expect(first.json.status).toBe("SUCCESS");
    expect(second.json.status).toBe("SUCCESS");
    const refunds = sb.ledger.refundsFor("same");
    expect(refunds).toHaveLength(2);
    expect(refunds[0]!.gateRefundId).not.toBe(refunds[1]!.gateRefundId);
    expect(sb.ledger.order(ORDER.prepayId)?.refundedAmount).toBe("8");
    expect(sb.counters().refundsRecorded).toBe(2);
  });

  it("idempotent: the original comes back and nothing new is recorded", async () => {
    const { first, second } = await postTwice("idempotent");
    expect(second.json).toEqual(first.json);
    expect(sb.ledger.refundsFor("same")).toHaveLength(1);
    expect(sb.ledger.order(ORDER.prepayId)?.refundedAmount).toBe("4");
    expect(sb.counters().idempotentReplays).toBe(1);
  });

  it("reject: the re-post is an error and nothing new is recorded", async () => {
    const { first, second } = await postTwice("reject");
    expect(first.json.status).toBe("SUCCESS");
    expect(second.json).toMatchObject({
      status: "FAIL",
      code: "400201",
      label: "DUPLICATE_REFUND_REQUEST_ID",
    });
    expect(sb.ledger.refundsFor("same")).toHaveLength(1);
    expect(sb.counters().duplicateRejections).toBe(1);
  });

  it("details of a duplicated id answer with the first refund", async () => {
    await postTwice("duplicate");
    const [firstRefund, secondRefund] = sb.ledger.refundsFor("same");
    sb.settleNow({ refundRequestId: "same" });
    expect(secondRefund!.status).toBe("SUCCESS");
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=same", { method: "GET" });
    expect(d.json.data["gateRefundId"]).toBe(firstRefund!.gateRefundId);
  });
});

describe("details and v1 query answers", () => {
  beforeEach(async () => {
    await start({ failureReason: "insufficient balance" });
  });

  it("report PROCESSING, then SUCCESS or FAIL with the reason", async () => {
    await call(sb, "/v1/pay/order/refund", { body: refund("s1", "10.5") });
    await call(sb, "/v1/pay/order/refund", { body: refund("f1", "1", ORDER.prepayId) });
    const before = await call(sb, "/v2/pay/refund/details?refundRequestId=s1", { method: "GET" });
    expect(before.json.data).toMatchObject({ status: "PROCESSING", refund_fail_reason: "" });
    expect(before.json.data).not.toHaveProperty("transactTime");
    // f1 exceeded what remained after s1: only s1 exists.
    expect(sb.ledger.refundsFor("f1")).toHaveLength(0);

    sb.settleNow({ refundRequestId: "s1" });
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=s1", { method: "GET" });
    const r = sb.ledger.refundsFor("s1")[0]!;
    expect(d.json.data).toEqual({
      refundRequestId: "s1",
      gateRefundId: r.gateRefundId,
      refundId: r.gateRefundId,
      orderId: ORDER.prepayId,
      createTime: r.createdAtMs,
      transactTime: r.settledAtMs,
      orderAmount: "10.5",
      orderCurrency: "USDT",
      requestAmount: "10.5",
      requestCurrency: "USDT",
      amount: "10.5",
      currency: "USDT",
      status: "SUCCESS",
      remark: "test",
      refund_style: 1,
      refund_pay_channel: 1,
      refund_bear_type: 1,
      refund_amount_type: 1,
      refund_account_type: 1,
      refund_fail_reason: "",
      refund_to_gate_uid: "",
    });
    const q = await call(sb, "/v1/pay/order/refund/query", { body: { refundRequestId: "s1" } });
    expect(q.json.data).toEqual({
      refundRequestId: "s1",
      prepayId: ORDER.prepayId,
      orderAmount: "10.5",
      refundAmount: "10.5",
      refundStatus: "SUCCESS",
      channelId: "",
    });
  });

  it("a failed refund reports FAIL with refund_fail_reason and frees the amount", async () => {
    await call(sb, "/v1/pay/order/refund", { body: refund("f2", "3") });
    sb.settleNow({ refundRequestId: "f2", status: "FAIL" });
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=f2", { method: "GET" });
    expect(d.json.data).toMatchObject({
      status: "FAIL",
      refund_fail_reason: "insufficient balance",
      refund_amount_type: 2,
    });
    const q = await call(sb, "/v1/pay/order/refund/query", { body: { refundRequestId: "f2" } });
    expect(q.json.data["refundStatus"]).toBe("FAIL");
    expect(sb.ledger.order(ORDER.prepayId)?.remainingAmount).toBe("10.5");
  });
});
