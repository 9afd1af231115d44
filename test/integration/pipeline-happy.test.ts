import { describe, expect, it } from "vitest";
import { startPipeline } from "../helpers/pipeline.js";

describe("refund pipeline: happy paths against the sandbox", () => {
  it("drives an order refund to succeeded, exactly once, with full history", async () => {
    const p = await startPipeline({ name: "happy-order" });
    p.sandbox.seedOrders({
      prepayId: "1991810932510167040",
      amount: "100",
      currency: "USDT",
      kind: "order",
    });

    const { record, created } = await p.producer.enqueue({
      refundRequestId: "R1",
      prepayId: "1991810932510167040",
      refundAmount: "12.5",
      refundReason: "damaged",
    });
    expect(created).toBe(true);
    expect(record.state).toBe("queued");

    const final = await p.waitFinal("R1");
    expect(final.state).toBe("succeeded");
    expect(final.attempts).toBe(1);
    // "processing" appears when a poll lands before the sandbox settles the refund.
    const states = final.history.map((h) => h.state).filter((st) => st !== "processing");
    expect(states).toEqual(["queued", "submitting", "accepted", "succeeded"]);
    expect(final.gatepay?.status).toBe("SUCCESS");
    const refunds = p.sandbox.ledger.refundsFor("R1");
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.refundAmount).toBe("12.5");
    expect(refunds[0]!.prepayId).toBe("1991810932510167040");
    expect(refunds[0]!.institution).toBe(false);
  });

  it("drives a convert refund in institution mode with the per-refund onBehalfOf", async () => {
    const p = await startPipeline({ name: "happy-convert" });
    p.sandbox.seedOrders({
      prepayId: "555000111",
      amount: "50",
      currency: "USDT",
      kind: "convert",
      payCurrency: "BTC",
      payAmount: "0.0005",
    });
    await p.producer.enqueue({
      kind: "convert",
      refundRequestId: "C1",
      prepayId: "555000111",
      refundOrderCurrency: "USDT",
      refundOrderAmount: "10",
      refundPayCurrency: "BTC",
      refundPayAmount: "0.0001",
      receiverId: "10002",
      onBehalfOf: "20001",
    });
    const final = await p.waitFinal("C1");
    expect(final.state).toBe("succeeded");
    const [refund, ...rest] = p.sandbox.ledger.refundsFor("C1");
    expect(rest).toHaveLength(0);
    expect(refund!.kind).toBe("convert");
    expect(refund!.institution).toBe(true);
    expect(refund!.onBehalfOf).toBe("20001");
    expect(refund!.receiverId).toBe("10002");
  });

  it("records a refund GatePay fails after accepting as failed and releases its reservation", async () => {
    const p = await startPipeline({ name: "happy-failed", sandbox: { failureRatio: 1 } });
    p.sandbox.seedOrders({ prepayId: "777", amount: "10", currency: "USDT", kind: "order" });
    await p.producer.enqueue({
      refundRequestId: "F1",
      prepayId: "777",
      refundAmount: "10",
      orderAmount: "10",
    });
    const final = await p.waitFinal("F1");
    expect(final.state).toBe("failed");
    expect(final.lastError?.code).toBe("REFUND_FAILED");
    expect(await p.producer.store.orderReservation("777")).toEqual({
      orderAmount: "10",
      reserved: "0",
    });
  });
});
