import { describe, expect, it } from "vitest";
import { startPipeline } from "../helpers/pipeline.js";

describe("GATEPAY_MAX_RPS: one cap across every worker", () => {
  it("two worker sets together never exceed the cap in any one-second window", async () => {
    const maxRps = 8;
    const p = await startPipeline({
      name: "rate",
      workers: false,
      env: { GATEPAY_MAX_RPS: String(maxRps) },
      sandbox: { settleDelayMs: 0 },
    });
    p.sandbox.seedOrders({ prepayId: "42", amount: "100", currency: "USDT", kind: "order" });
    await p.startWorkers();
    await p.startWorkers(); // a second "process": same Redis, its own workers and client
    const ids = Array.from({ length: 16 }, (_, i) => `RL${i}`);
    await p.producer.enqueueBulk(
      ids.map((id) => ({ refundRequestId: id, prepayId: "42", refundAmount: "1" })),
    );
    for (const id of ids) expect((await p.waitFinal(id, 30_000)).state).toBe("succeeded");

    // Refund creations are a subset of the capped requests; without the shared cap all
    // 16 would land within a few milliseconds.
    const times = p.sandbox.ledger.refunds.map((r) => r.createdAtMs).sort((a, b) => a - b);
    expect(times).toHaveLength(16);
    let worst = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! - times[i]! < 1000) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(maxRps);
    const totalRequests = Object.values(p.sandbox.counters().requests).reduce((a, b) => a + b, 0);
    expect(totalRequests).toBeGreaterThanOrEqual(32); // a POST and at least one GET each
  });
});
