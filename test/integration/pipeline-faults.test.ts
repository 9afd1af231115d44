/**
 * Every sandbox fault against the whole pipeline, with the sandbox in its strict
 * `duplicate` mode: a blind re-send would show up as a second refund in its ledger.
 */
import { describe, expect, it } from "vitest";
import type { FaultAction, SandboxOperation } from "../../src/sandbox/index.js";
import { startPipeline, type Pipeline } from "../helpers/pipeline.js";

const ORDER = "1647438500687506";

async function pipelineWith(
  name: string,
  script: Partial<Record<SandboxOperation, FaultAction[]>>,
  extra: Parameters<typeof startPipeline>[0] = { name },
): Promise<Pipeline> {
  const p = await startPipeline({ ...extra, name, workers: false });
  p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
  for (const [op, actions] of Object.entries(script)) {
    p.sandbox.faults.script(op as SandboxOperation, actions);
  }
  await p.startWorkers();
  return p;
}

function refundsOn(p: Pipeline, id: string): number {
  return p.sandbox.ledger.refundsFor(id).length;
}

describe("pipeline under GatePay faults (duplicate mode: a blind re-send pays twice)", () => {
  it("HTTP 500 twice, then accepted: looked up before each re-send, created once", async () => {
    const p = await pipelineWith("f-500", { orderRefund: ["http500", "http500"] });
    await p.producer.enqueue({ refundRequestId: "A500", prepayId: ORDER, refundAmount: "1" });
    const final = await p.waitFinal("A500");
    expect(final.state).toBe("succeeded");
    expect(final.attempts).toBe(3);
    expect(refundsOn(p, "A500")).toBe(1);
    // Each unknown outcome was followed by a lookup before the next send.
    const states = final.history.map((h) => h.event);
    expect(states.filter((e) => e === "submit-deferred")).toHaveLength(2);
    // Two "not found" answers a grace period apart before each re-send.
    expect(states.filter((e) => e === "not-found")).toHaveLength(4);
  });

  it("refund recorded, then the connection dropped: found by lookup, never re-sent", async () => {
    const p = await pipelineWith("f-drop-after", { orderRefund: ["dropAfter"] });
    await p.producer.enqueue({ refundRequestId: "ADROP", prepayId: ORDER, refundAmount: "2" });
    const final = await p.waitFinal("ADROP");
    expect(final.state).toBe("succeeded");
    expect(final.attempts).toBe(1);
    expect(refundsOn(p, "ADROP")).toBe(1);
    expect(final.history.some((h) => h.event === "not-found")).toBe(false);
  });

  it("refund recorded, then answered slower than the client timeout: created once", async () => {
    const p = await pipelineWith("f-slow", { orderRefund: ["slowAfter"] });
    p.sandbox.faults.set({ orderRefund: { slowAfterMs: 3_000 } });
    p.sandbox.faults.script("orderRefund", ["slowAfter"]);
    await p.producer.enqueue({ refundRequestId: "ASLOW", prepayId: ORDER, refundAmount: "3" });
    const final = await p.waitFinal("ASLOW");
    expect(final.state).toBe("succeeded");
    expect(final.attempts).toBe(1);
    expect(refundsOn(p, "ASLOW")).toBe(1);
    // The worker's own timeout (not the client's default) ended the wait: unknown outcome.
    expect(final.history.find((h) => h.event === "submit-deferred")?.note).toBe("UNKNOWN-OUTCOME");
  });

  it("a re-send refused because the first copy used the room (500206) is not taken as a rejection", async () => {
    // The first POST is recorded and dropped; details lag so long that both lookups say
    // "not found" and the worker re-sends; GatePay refuses the copy (the order is full).
    const p = await startPipeline({ name: "f-room", workers: false });
    p.sandbox.seedOrders({ prepayId: "800", amount: "10", currency: "USDT", kind: "order" });
    p.sandbox.faults.set({ refundDetails: { detailsLagMs: 2_500 } });
    p.sandbox.faults.script("orderRefund", ["dropAfter"]);
    await p.startWorkers();
    await p.producer.enqueue({ refundRequestId: "AROOM", prepayId: "800", refundAmount: "10" });
    const final = await p.waitFinal("AROOM", 30_000);
    expect(final.state).toBe("succeeded");
    expect(refundsOn(p, "AROOM")).toBe(1);
    expect(final.history.some((h) => h.note === "500206")).toBe(true);
    expect(await p.producer.store.orderReservation("800")).toMatchObject({ reserved: "10" });
  });

  it("details lagging behind creation after an unknown outcome: the grace period prevents a re-send", async () => {
    const p = await pipelineWith("f-lag", { orderRefund: ["dropAfter"] });
    // Details say "not found" for 400 ms after creation; the worker waits 600 ms before
    // it believes a "not found" after an unknown outcome.
    p.sandbox.faults.set({ refundDetails: { detailsLagMs: 400 } });
    p.sandbox.faults.script("orderRefund", ["dropAfter"]);
    await p.producer.enqueue({ refundRequestId: "ALAG", prepayId: ORDER, refundAmount: "4" });
    const final = await p.waitFinal("ALAG");
    expect(final.state).toBe("succeeded");
    expect(refundsOn(p, "ALAG")).toBe(1);
  });

  it("details lagging while polling: polled again, never re-sent", async () => {
    const p = await pipelineWith("f-lag-poll", {});
    p.sandbox.faults.set({ refundDetails: { detailsLagMs: 500 } });
    await p.producer.enqueue({ refundRequestId: "APOLL", prepayId: ORDER, refundAmount: "4" });
    const final = await p.waitFinal("APOLL");
    expect(final.state).toBe("succeeded");
    expect(refundsOn(p, "APOLL")).toBe(1);
    expect(p.logs.some((l) => l.includes('"outcome":"not-visible"'))).toBe(true);
  });

  it("connection dropped before recording and 429s: plain retries, created once", async () => {
    const p = await pipelineWith("f-before", { orderRefund: ["dropBefore", "http429"] });
    await p.producer.enqueue({ refundRequestId: "ABEFORE", prepayId: ORDER, refundAmount: "5" });
    const final = await p.waitFinal("ABEFORE");
    expect(final.state).toBe("succeeded");
    expect(refundsOn(p, "ABEFORE")).toBe(1);
    const deferred = final.history.filter((h) => h.event === "submit-deferred").map((h) => h.note);
    expect(deferred).toHaveLength(2);
  });

  it("latency and failures on status reads only delay the outcome", async () => {
    const p = await pipelineWith("f-read", { refundDetails: ["http500", "dropBefore", "http429"] });
    p.sandbox.faults.set({ refundDetails: { latencyMs: 100 } });
    p.sandbox.faults.script("refundDetails", ["http500", "dropBefore", "http429"]);
    await p.producer.enqueue({ refundRequestId: "AREAD", prepayId: ORDER, refundAmount: "6" });
    const final = await p.waitFinal("AREAD");
    expect(final.state).toBe("succeeded");
    expect(refundsOn(p, "AREAD")).toBe(1);
  });

  it("random faults on every endpoint over many refunds: all final, each created at most once", async () => {
    const p = await startPipeline({ name: "f-random", workers: false, sandbox: { seed: 42 } });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "1000", currency: "USDT", kind: "order" });
    p.sandbox.faults.set({
      orderRefund: { http500: 0.15, dropBefore: 0.1, dropAfter: 0.15, http429: 0.1, latencyMs: 20 },
      refundDetails: { http500: 0.1, dropBefore: 0.05, detailsLagMs: 200, latencyMs: 10 },
    });
    await p.startWorkers();
    const ids = Array.from({ length: 40 }, (_, i) => `RND${i}`);
    for (const id of ids)
      await p.producer.enqueue({ refundRequestId: id, prepayId: ORDER, refundAmount: "1" });
    for (const id of ids) {
      const final = await p.waitFinal(id, 40_000);
      // With 10 attempts of budget nothing should die at these ratios; what matters
      // most is the ledger: never two refunds for one id.
      expect(["succeeded", "dead"]).toContain(final.state);
      expect(refundsOn(p, id)).toBeLessThanOrEqual(1);
      if (final.state === "succeeded") expect(refundsOn(p, id)).toBe(1);
    }
    const total = ids.reduce((n, id) => n + refundsOn(p, id), 0);
    expect(p.sandbox.ledger.refunds.length).toBe(total);
  });
});

describe("pipeline: business rejections and give-ups", () => {
  it("unknown order → rejected (400202), reservation released, nothing created", async () => {
    const p = await pipelineWith("r-unknown", {});
    await p.producer.enqueue({ refundRequestId: "RUNK", prepayId: "999999", refundAmount: "1" });
    const final = await p.waitFinal("RUNK");
    expect(final.state).toBe("rejected");
    expect(final.lastError?.code).toBe("400202");
    expect(final.attempts).toBe(1);
    expect(refundsOn(p, "RUNK")).toBe(0);
    expect((await p.producer.store.orderReservation("999999")).reserved).toBe("0");
  });

  it("GatePay's own over-refund check (500206) → rejected", async () => {
    const p = await pipelineWith("r-over", {});
    await p.producer.enqueue({ refundRequestId: "ROVER", prepayId: ORDER, refundAmount: "150" });
    const final = await p.waitFinal("ROVER");
    expect(final.state).toBe("rejected");
    expect(final.lastError?.code).toBe("500206");
    expect(refundsOn(p, "ROVER")).toBe(0);
  });

  it("retryable errors outlast the attempts → dead, and a replay re-checks GatePay first", async () => {
    const p = await startPipeline({
      name: "r-dead",
      workers: false,
      env: { SUBMIT_MAX_ATTEMPTS: "3" },
    });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    p.sandbox.faults.set({ orderRefund: { dropAfter: 1 } });
    // The details side is down too, so nothing can confirm the refund.
    p.sandbox.faults.script("refundDetails", [
      "http500",
      "http500",
      "http500",
      "http500",
      "http500",
      "http500",
      "http500",
      "http500",
      "http500",
    ]);
    await p.startWorkers();
    await p.producer.enqueue({ refundRequestId: "RDEAD", prepayId: ORDER, refundAmount: "7" });
    const dead = await p.waitFinal("RDEAD");
    expect(dead.state).toBe("dead");
    expect(dead.lastError?.message).toMatch(/replay re-checks GatePay first/);
    // Sent once (dropAfter recorded it); every later attempt was a failed lookup, not a re-send.
    expect(refundsOn(p, "RDEAD")).toBe(1);

    p.sandbox.faults.clear();
    const replayed = await p.producer.replay("RDEAD");
    expect(replayed.state).toBe("queued");
    const final = await p.waitFinal("RDEAD");
    expect(final.state).toBe("succeeded");
    expect(refundsOn(p, "RDEAD")).toBe(1);
  });

  it("no final status by the poll deadline → stuck; a replay polls again and settles it", async () => {
    const p = await startPipeline({
      name: "r-stuck",
      workers: false,
      sandbox: { settleDelayMs: Infinity },
      settings: { poll: { firstDelayMs: 100, maxDelayMs: 300, deadlineMs: 1_500 } },
    });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    await p.startWorkers();
    await p.producer.enqueue({ refundRequestId: "RSTUCK", prepayId: ORDER, refundAmount: "8" });
    const stuck = await p.waitFinal("RSTUCK");
    expect(stuck.state).toBe("stuck");
    expect(stuck.lastError?.code).toBe("POLL_DEADLINE");

    p.sandbox.settleNow();
    await p.producer.replay("RSTUCK");
    const final = await p.waitFinal("RSTUCK");
    expect(final.state).toBe("succeeded");
    expect(refundsOn(p, "RSTUCK")).toBe(1);
  });

  it("replay refuses refunds that are not dead or stuck", async () => {
    const p = await pipelineWith("r-replay-refuse", {});
    await p.producer.enqueue({ refundRequestId: "ROK", prepayId: ORDER, refundAmount: "1" });
    await p.waitFinal("ROK");
    await expect(p.producer.replay("ROK")).rejects.toThrow(/cannot be replayed/);
    await expect(p.producer.replay("NOPE")).rejects.toThrow(/no refund/);
  });
});
