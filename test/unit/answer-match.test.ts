/** Issue 13 item 3: a GatePay answer is adopted only when it is about our request. */
import { describe, expect, it } from "vitest";
import { answerMismatches } from "../../src/domain/answer-match.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { reportFromCreate, reportFromDetails } from "../../src/gatepay/refund-report.js";

const AT = "2026-01-01T00:00:00.000Z";
const order = parseRefundRequest({ refundRequestId: "r-1", prepayId: "p-1", refundAmount: "10" });
const convert = parseRefundRequest({
  kind: "convert",
  refundRequestId: "c-1",
  prepayId: "p-1",
  refundOrderCurrency: "USDT",
  refundOrderAmount: "10",
  refundPayCurrency: "BTC",
  refundPayAmount: "0.0001",
  receiverId: "10002",
});
const details = (fields: Record<string, string>) =>
  reportFromDetails({ refundRequestId: "r-1", status: "SUCCESS", ...fields }, AT);

describe("answerMismatches", () => {
  it("accepts an answer that matches, or that does not say", () => {
    expect(answerMismatches(order, details({ orderId: "p-1", requestAmount: "10.00" }))).toEqual(
      [],
    );
    expect(answerMismatches(order, details({}))).toEqual([]);
    expect(
      answerMismatches(order, reportFromCreate({ refundRequestId: "r-1", prepayId: "p-1" }, AT)),
    ).toEqual([]);
    expect(
      answerMismatches(convert, details({ requestCurrency: "usdt", requestAmount: "10" })),
    ).toEqual([]);
  });

  it("names another order, another amount, another currency", () => {
    expect(answerMismatches(order, details({ orderId: "p-2" }))).toEqual([
      "prepayId p-2 (ours p-1)",
    ]);
    expect(answerMismatches(order, details({ requestAmount: "10.5" }))).toEqual([
      "amount 10.5 (ours 10)",
    ]);
    expect(
      answerMismatches(
        order,
        reportFromCreate({ refundRequestId: "r-1", prepayId: "p-9", refundAmount: "3" }, AT),
      ),
    ).toEqual(["prepayId p-9 (ours p-1)", "amount 3 (ours 10)"]);
    expect(answerMismatches(convert, details({ requestCurrency: "BTC" }))).toEqual([
      "currency BTC (ours USDT)",
    ]);
  });
});
