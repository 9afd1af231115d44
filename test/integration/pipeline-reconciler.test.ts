/**
 * Nothing lost: the reconciler re-drives non-final refunds whose job is gone.
 */
import { describe, expect, it } from "vitest";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { pollJobId } from "../../src/jobs/job-ids.js";
import { startPipeline, type Pipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

const ORDER = "31337";

async function makeOverdue(p: Pipeline, id: string): Promise<void> {
  await p.redis.zadd(`${p.prefix}:inflight`, "XX", "0", id);
}

describe("reconciler", () => {
  it("re-drives a refund whose producer died between the record and the job", async () => {
    const p = await startPipeline({ name: "rec-nojob" });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "10", currency: "USDT", kind: "order" });
    // The record exists, the job was never added.
    const created = await p.producer.store.create(
      parseRefundRequest({ refundRequestId: "NOJOB", prepayId: ORDER, refundAmount: "1" }),
    );
    expect(created.outcome).toBe("created");
    expect(await p.producer.queues.submit.getJob("submit-NOJOB")).toBeUndefined();

    // Not overdue yet: nothing happens.
    expect((await p.workers!.reconciler.runOnce()).redriven).toEqual([]);
    await makeOverdue(p, "NOJOB");
    expect((await p.workers!.reconciler.runOnce()).redriven).toEqual(["NOJOB"]);

    const final = await p.waitFinal("NOJOB");
    expect(final.state).toBe("succeeded");
    expect(final.submit.generation).toBe(1);
    expect(p.sandbox.ledger.refundsFor("NOJOB")).toHaveLength(1);
  });

  it("leaves alone a refund whose job is alive (delayed) and pushes its check back", async () => {
    const p = await startPipeline({ name: "rec-alive", sandbox: { settleDelayMs: Infinity } });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "10", currency: "USDT", kind: "order" });
    await p.producer.enqueue({ refundRequestId: "ALIVE", prepayId: ORDER, refundAmount: "1" });
    await p.waitState("ALIVE", "processing");
    await makeOverdue(p, "ALIVE");
    expect((await p.workers!.reconciler.runOnce()).redriven).toEqual([]);
    const score = Number(await p.redis.zscore(`${p.prefix}:inflight`, "ALIVE"));
    expect(score).toBeGreaterThan(Date.now());
  });

  it("re-drives a broken poll chain, and the refund still settles exactly once", async () => {
    const p = await startPipeline({
      name: "rec-poll",
      workers: false,
      sandbox: { settleDelayMs: Infinity },
      settings: { poll: { firstDelayMs: 60_000, maxDelayMs: 60_000, deadlineMs: 600_000 } },
    });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "10", currency: "USDT", kind: "order" });
    await p.startWorkers();
    await p.producer.enqueue({ refundRequestId: "CHAIN", prepayId: ORDER, refundAmount: "1" });
    await p.waitState("CHAIN", "accepted");
    // The accepted write itself noted poll 1 as the driver, due a minute out (a crash
    // before the job was added leaves exactly this: a driver with no job).
    expect(await p.producer.store.getDriver("CHAIN")).toBe(pollJobId("CHAIN", 1));
    const score = Number(await p.redis.zscore(`${p.prefix}:inflight`, "CHAIN"));
    expect(score).toBeGreaterThan(Date.now() + 60_000);
    // Lose the (far-future) first poll, as if a crash had swallowed it.
    const job = await waitFor(
      () => p.producer.queues.poll.getJob(pollJobId("CHAIN", 1)),
      "poll job",
    );
    await job.remove();
    p.sandbox.settleNow();
    await makeOverdue(p, "CHAIN");
    expect((await p.workers!.reconciler.runOnce()).redriven).toEqual(["CHAIN"]);
    const final = await p.waitFinal("CHAIN");
    expect(final.state).toBe("succeeded");
    expect(p.sandbox.ledger.refundsFor("CHAIN")).toHaveLength(1);
  });

  it("one reconciler at a time across processes", async () => {
    const p = await startPipeline({ name: "rec-lock" });
    await p.redis.set(`${p.prefix}:reconciler-lock`, "someone-else", "PX", 10_000);
    await p.producer.store.create(
      parseRefundRequest({ refundRequestId: "LOCKED", prepayId: ORDER, refundAmount: "1" }),
    );
    await makeOverdue(p, "LOCKED");
    expect(await p.workers!.reconciler.runOnce()).toEqual({ examined: 0, redriven: [] });
  });
});
