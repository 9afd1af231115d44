import { describe, expect, it } from "vitest";
import {
  reportFromCreate,
  reportFromDetails,
  reportFromQueryV1,
  reportFromWebhook,
} from "../../src/gatepay/refund-report.js";
import { RefundDetails } from "../../src/gatepay/schemas.js";

const AT = "2025-01-01T12:00:00.000Z";

describe("reading GatePay's answers into reports", () => {
  it("keeps the answer's fields in one order (the stored record's JSON does not change)", () => {
    const details = RefundDetails.parse({
      refundRequestId: "r-1",
      status: "FAIL",
      refund_fail_reason: "NO_FUNDS",
      refundId: "g-1",
      orderId: "p-1",
      orderAmount: "30",
      orderCurrency: "USDT",
      requestAmount: "10",
      requestCurrency: "USDT",
    });
    expect(JSON.stringify(reportFromDetails(details, AT).answer)).toBe(
      `{"source":"details","at":"${AT}","status":"FAIL","gateRefundId":"g-1",` +
        `"orderAmount":"30","orderCurrency":"USDT","refundAmount":"10","currency":"USDT",` +
        `"failReason":"NO_FUNDS"}`,
    );
    const created = reportFromCreate(
      { refundRequestId: "r-1", orderAmount: "30", orderCurrency: "USDT", refundAmount: "10" },
      AT,
    );
    expect(JSON.stringify(created.answer)).toBe(
      `{"source":"create","at":"${AT}","orderAmount":"30","orderCurrency":"USDT",` +
        `"refundAmount":"10","currency":"USDT"}`,
    );
    expect(Object.keys(created)).toEqual(["answer", "outcome", "known", "identity", "orderAmount"]);
  });

  it("a create answer is acceptance, with the ids and amounts it carries", () => {
    expect(
      reportFromCreate(
        {
          refundRequestId: "r-1",
          prepayId: "p-1",
          orderAmount: "30",
          refundAmount: "10",
          refundGateId: "g-9",
        },
        AT,
      ),
    ).toEqual({
      answer: {
        source: "create",
        at: AT,
        gateRefundId: "g-9",
        orderAmount: "30",
        refundAmount: "10",
      },
      outcome: "in_progress",
      known: true,
      orderAmount: "30",
      identity: { prepayId: "p-1", requestAmount: "10" },
    });
    expect(
      reportFromCreate(
        { refundRequestId: "r-1", orderCurrency: "USDT", refundOrderAmount: "5" },
        AT,
      ),
    ).toEqual({
      answer: {
        source: "create",
        at: AT,
        refundAmount: "5",
        currency: "USDT",
        orderCurrency: "USDT",
      },
      outcome: "in_progress",
      known: true,
      identity: { prepayId: undefined, requestAmount: "5" },
    });
  });

  it.each([
    { data: { status: "SUCCESS" }, outcome: "succeeded", known: true },
    { data: { status: "PROCESSING" }, outcome: "in_progress", known: true },
    { data: { status: "WHATEVER" }, outcome: "in_progress", known: false },
    {
      data: { status: "PROCESSING", refund_fail_reason: "bad address" },
      outcome: "failed",
      known: true,
    },
  ])("details $data.status → $outcome", ({ data, outcome, known }) => {
    const details = RefundDetails.parse({ refundRequestId: "r-1", ...data });
    expect(reportFromDetails(details, AT)).toMatchObject({ outcome, known });
  });

  it("details: fallbacks for ids, amounts and currency", () => {
    const details = RefundDetails.parse({
      refundRequestId: "r-1",
      status: "SUCCESS",
      refundId: "g-2",
      requestAmount: "7",
      requestCurrency: "USDT",
      orderAmount: "20",
    });
    expect(reportFromDetails(details, AT)).toEqual({
      answer: {
        source: "details",
        at: AT,
        status: "SUCCESS",
        gateRefundId: "g-2",
        orderAmount: "20",
        refundAmount: "7",
        currency: "USDT",
      },
      outcome: "succeeded",
      known: true,
      orderAmount: "20",
      identity: { prepayId: undefined, requestAmount: "7", requestCurrency: "USDT" },
    });
  });

  it("a v1 query and a webhook use their own status names", () => {
    expect(
      reportFromQueryV1({ refundRequestId: "r-1", refundStatus: "SUCCESS" }, AT),
    ).toMatchObject({
      answer: { source: "query-v1", status: "SUCCESS" },
      outcome: "succeeded",
    });
    expect(reportFromWebhook({ bizStatus: "REFUND_SUCCESS", bizId: "g-3" }, AT)).toEqual({
      answer: { source: "webhook", at: AT, status: "REFUND_SUCCESS", gateRefundId: "g-3" },
      outcome: "succeeded",
      known: true,
    });
    expect(reportFromWebhook({ bizStatus: "REFUND_PROCESS" }, AT)).toMatchObject({
      outcome: "in_progress",
      known: true,
    });
  });
});
