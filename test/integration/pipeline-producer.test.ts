/**
 * The producer side of the pipeline: idempotent enqueue, conflicts, the over-refund guard
 * refusing before anything is sent, bulk enqueue, and secrets kept out of everything
 * the pipeline writes.
 */
import { describe, expect, it } from "vitest";
import {
  IdempotencyConflictError,
  OverRefundError,
  ValidationError,
} from "../../src/domain/errors.js";
import { QUEUE_NAMES } from "../../src/jobs/queue-names.js";
import { SECRET, startPipeline } from "../helpers/pipeline.js";

const ORDER = "9007199254740993"; // > 2^53: must survive as a string end to end

describe("producer: idempotency and validation", () => {
  it("the same request twice returns the existing record and changes nothing", async () => {
    const p = await startPipeline({ name: "p-dup" });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    const req = { refundRequestId: "D1", prepayId: ORDER, refundAmount: "10.00" };
    const first = await p.producer.enqueue(req);
    const second = await p.producer.enqueue({ ...req, refundAmount: "10" }); // same money
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.record.refundRequestId).toBe("D1");
    await p.waitFinal("D1");
    const third = await p.producer.enqueue(req);
    expect(third.created).toBe(false);
    expect(third.record.state).toBe("succeeded");
    expect(p.sandbox.ledger.refundsFor("D1")).toHaveLength(1);
    expect(p.sandbox.ledger.refundsFor("D1")[0]!.prepayId).toBe(ORDER);
    // One "created" event only: the repeats wrote nothing.
    const events = await p.redis.xrange(`${p.prefix}:events`, "-", "+");
    const created = events.filter(([, f]) => f.includes("created"));
    expect(created).toHaveLength(1);
  });

  it("the same id with a different request is an IdempotencyConflictError naming the fields", async () => {
    const p = await startPipeline({ name: "p-conflict", workers: false });
    await p.producer.enqueue({ refundRequestId: "D2", prepayId: ORDER, refundAmount: "10" });
    const err = await p.producer
      .enqueue({ refundRequestId: "D2", prepayId: ORDER, refundAmount: "11", refundReason: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    expect((err as IdempotencyConflictError).differingFields).toEqual([
      "refundAmount",
      "refundReason",
    ]);
    const rec = await p.producer.getRefund("D2");
    expect(rec!.request).toMatchObject({ refundAmount: "10" });
    expect(rec!.version).toBe(1);
  });

  it("bad input is refused before anything is stored or queued", async () => {
    const p = await startPipeline({ name: "p-invalid", workers: false });
    const err = await p.producer
      .enqueue({ refundRequestId: "bad id!", prepayId: 1647438500687506, refundAmount: 1.5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["prepayId", "refundAmount", "refundRequestId"]);
    expect((err as ValidationError).message).toMatch(
      /refundAmount: must be a string, not a number/,
    );
    expect(await p.redis.keys(`${p.prefix}:*`)).toEqual([]);
  });
});

describe("producer: over-refund guard", () => {
  it("refuses a refund beyond the order amount before sending anything", async () => {
    const p = await startPipeline({ name: "p-over" });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    await p.producer.enqueue({
      refundRequestId: "O1",
      prepayId: ORDER,
      refundAmount: "70",
      orderAmount: "100",
    });
    // The caller's orderAmount checks its own request (it is never stored as the cap).
    const err = await p.producer
      .enqueue({ refundRequestId: "O2", prepayId: ORDER, refundAmount: "40", orderAmount: "100" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverRefundError);
    const rec = (err as OverRefundError).record;
    expect(rec.state).toBe("rejected");
    expect(rec.lastError?.code).toBe("OVER_REFUND");
    expect(rec.lastError?.message).toMatch(
      /order amount 100, already refunded or in flight 70, left 30/,
    );
    await p.waitFinal("O1");
    // Nothing about O2 ever reached GatePay.
    expect(p.sandbox.ledger.refundsFor("O2")).toHaveLength(0);
    expect(p.sandbox.counters().requests.orderRefund).toBe(1);
    // 30 is exactly what is left.
    await p.producer.enqueue({ refundRequestId: "O3", prepayId: ORDER, refundAmount: "30" });
    expect((await p.waitFinal("O3")).state).toBe("succeeded");
  });

  it("learns the order amount from GatePay's answer and guards later refunds with it", async () => {
    const p = await startPipeline({ name: "p-learn" });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "20", currency: "USDT", kind: "order" });
    await p.producer.enqueue({ refundRequestId: "L1", prepayId: ORDER, refundAmount: "15" });
    await p.waitFinal("L1");
    expect(await p.producer.store.orderReservation(ORDER)).toEqual({
      orderAmount: "20",
      reserved: "15",
    });
    await expect(
      p.producer.enqueue({ refundRequestId: "L2", prepayId: ORDER, refundAmount: "6" }),
    ).rejects.toBeInstanceOf(OverRefundError);
    expect(p.sandbox.counters().requests.orderRefund).toBe(1);
  });
});

describe("producer: bulk", () => {
  it("enqueueBulk reports every item and drives the valid ones", async () => {
    const p = await startPipeline({ name: "p-bulk" });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    await p.producer.enqueue({ refundRequestId: "B0", prepayId: ORDER, refundAmount: "1" });
    const items = await p.producer.enqueueBulk(
      [
        { refundRequestId: "B0", prepayId: ORDER, refundAmount: "1" },
        { refundRequestId: "B1", prepayId: ORDER, refundAmount: "2", orderAmount: "100" },
        { refundRequestId: "B2", prepayId: ORDER, refundAmount: "-1" },
        { refundRequestId: "B0", prepayId: ORDER, refundAmount: "9" },
        { refundRequestId: "B3", prepayId: ORDER, refundAmount: "98", orderAmount: "100" },
      ],
      { batchId: "batch-1", chunkSize: 2 },
    );
    expect(items.map((i) => i.outcome)).toEqual([
      "existing",
      "created",
      "invalid",
      "conflict",
      "over-refund",
    ]);
    await p.waitFinal("B1");
    const counts = await p.producer.getBatch("batch-1");
    expect(counts).toMatchObject({ total: 2, succeeded: 1, rejected: 1 });
  });
});

describe("secrets never reach logs, records, job data or events", () => {
  it("holds for a run with retries, unknown outcomes and failures", async () => {
    const p = await startPipeline({ name: "p-secret" });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    p.sandbox.faults.script("orderRefund", ["http500", "dropAfter", "dropBefore"]);
    await p.producer.enqueue({ refundRequestId: "S1", prepayId: ORDER, refundAmount: "1" });
    await p.producer.enqueue({ refundRequestId: "S2", prepayId: "404404", refundAmount: "1" });
    await p.waitFinal("S1");
    await p.waitFinal("S2");

    const everything: string[] = [...p.logs];
    for (const key of await p.redis.keys(`${p.prefix}:*`)) {
      const type = await p.redis.type(key);
      if (type === "string") everything.push((await p.redis.get(key)) ?? "");
      if (type === "hash") everything.push(JSON.stringify(await p.redis.hgetall(key)));
      if (type === "stream") everything.push(JSON.stringify(await p.redis.xrange(key, "-", "+")));
      if (type === "list") everything.push(JSON.stringify(await p.redis.lrange(key, 0, -1)));
      if (type === "zset") everything.push(JSON.stringify(await p.redis.zrange(key, 0, -1)));
    }
    const jobs = await p.producer.queues.submit.getJobs(["completed", "failed", "delayed", "wait"]);
    everything.push(
      JSON.stringify(
        jobs.map((j) => ({ data: j.data, opts: j.opts, failedReason: j.failedReason })),
      ),
    );
    const text = everything.join("\n");
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain("S1");
    expect(text).toContain(QUEUE_NAMES.submit);
    expect(text).not.toContain(SECRET);
    // No signature either: 128 lowercase hex characters never appear.
    expect(text).not.toMatch(/[0-9a-f]{128}/);
  });
});
