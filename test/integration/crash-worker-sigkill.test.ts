/**
 * Crash tests: the workers run in a child process that is SIGKILLed while refund POSTs
 * are in flight (DESIGN.md "Scale": a worker can die at any instruction). The sandbox runs
 * in its strict `duplicate` mode, where a blind re-send records a second refund, so the
 * ledger shows any refund that moved money twice. A last test reproduces one exact kill
 * point (between recording acceptance and adding the first poll job) deterministically.
 */
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { compareAmounts, sumAmounts } from "../../src/domain/amount.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { FINAL_STATES } from "../../src/domain/refund-state.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import { buildClient } from "../../src/worker/start-workers.js";
import { withTimeout } from "../../src/with-timeout.js";
import { CLIENT_ID, FAST_SETTINGS, SECRET, startPipeline } from "../helpers/pipeline.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

const ORDERS = 6;
const REFUNDS_PER_ORDER = 10;
const ORDER_AMOUNT = "100";
/** The sandbox holds every refund POST this long before recording it, ms. */
const POST_LATENCY_MS = 300;
/** Kill when a POST was sent less than this long ago, ms: well inside the latency. */
const SENT_WITHIN_MS = 150;

/** Every child started by the current test; killed after it, pass or fail. */
const children: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
});

interface Harness {
  prefix: string;
  sandbox: Sandbox;
  producer: RefundProducer;
  redis: Redis;
  ids: string[];
  /** Refund amounts by prepayId, as enqueued. */
  amountsByOrder: Map<string, string[]>;
  startChild(): Promise<WorkerProcess>;
  records(): Promise<RefundRecord[]>;
}

/** Sandbox, producer and refunds (`ORDERS` × `perOrder`, all queued); no workers yet. */
async function setUp(
  name: string,
  sandboxOptions: Partial<SandboxOptions>,
  perOrder = REFUNDS_PER_ORDER,
): Promise<Harness> {
  const prefix = newPrefix(name);
  const redis = connect();
  const sandbox = await startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    duplicateMode: "duplicate",
    settleDelayMs: 200,
    ...sandboxOptions,
  });
  const producer = createRefundProducer({ redis, prefix, submitMaxAttempts: 20 });
  const started: WorkerProcess[] = [];

  onTestFinished(async ({ task }) => {
    await Promise.all(started.map((c) => c.stop()));
    await producer.close();
    await sandbox.close();
    if (task.result?.state === "fail") {
      for (const c of started) {
        console.warn(
          `worker ${c.workerId} (pid ${c.pid}) last logs:\n${c.logs().slice(-25).join("\n")}`,
        );
      }
      console.warn(`test failed: keys kept under ${prefix}*`);
    } else {
      await cleanupPrefix(redis, prefix);
    }
    await redis.quit();
  });

  const ids: string[] = [];
  const amountsByOrder = new Map<string, string[]>();
  const requests: unknown[] = [];
  for (let o = 0; o < ORDERS; o++) {
    const prepayId = `20250${o}7788990011`;
    sandbox.seedOrders({ prepayId, amount: ORDER_AMOUNT, currency: "USDT", kind: "order" });
    const amounts: string[] = [];
    for (let r = 0; r < perOrder; r++) {
      const refundRequestId = `K${o}x${r}`;
      const refundAmount = `${r + 1}.05`;
      ids.push(refundRequestId);
      amounts.push(refundAmount);
      requests.push({ refundRequestId, prepayId, refundAmount, orderAmount: ORDER_AMOUNT });
    }
    amountsByOrder.set(prepayId, amounts);
  }
  const enqueued = await producer.enqueueBulk(requests);
  expect(enqueued.map((e) => e.outcome)).toEqual(requests.map(() => "created"));

  const env = {
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    GATEPAY_BASE_URL: sandbox.url,
    GATEPAY_CLIENT_ID: CLIENT_ID,
    GATEPAY_SECRET_KEY: SECRET,
    WORKER_CONCURRENCY: "4",
    SUBMIT_MAX_ATTEMPTS: "20",
    LOG_LEVEL: "info",
  };
  return {
    prefix,
    sandbox,
    producer,
    redis,
    ids,
    amountsByOrder,
    async startChild() {
      const child = await startWorkerProcess({ env, settings: FAST_SETTINGS });
      children.push(child);
      started.push(child);
      return child;
    },
    async records() {
      const all = await producer.store.getMany(ids);
      return all.map((r, i) => {
        if (!r) throw new Error(`no record for ${ids[i]}`);
        return r;
      });
    },
  };
}

/** Refunds whose POST `child` has in flight: `submitting` under its live lease. */
function inFlightOf(records: readonly RefundRecord[], child: WorkerProcess, now: number) {
  return records.filter(
    (r) =>
      r.state === "submitting" &&
      r.submit.leaseOwner?.startsWith(`${child.workerId}/`) === true &&
      (r.submit.leaseUntilMs ?? 0) > now,
  );
}

interface InFlightWait {
  /** At least this many POSTs in flight. */
  min: number;
  /**
   * At least one of them sent less than this long ago, ms: with the sandbox's latency
   * longer than this, GatePay records that refund only after a kill made right away.
   */
  sentWithinMs?: number;
  /** Any further condition on all records. */
  ready?: (records: RefundRecord[]) => boolean;
}

/** Waits until `child` has POSTs in flight as `wait` asks; returns their records. */
async function waitInFlight(
  h: Harness,
  child: WorkerProcess,
  wait: InFlightWait,
): Promise<RefundRecord[]> {
  return waitFor(
    async () => {
      const records = await h.records();
      const now = Date.now();
      const inFlight = inFlightOf(records, child, now);
      const fresh =
        wait.sentWithinMs === undefined ||
        inFlight.some((r) => (r.submit.lastSentAtMs ?? 0) > now - wait.sentWithinMs!);
      const ready = wait.ready?.(records) ?? true;
      return inFlight.length >= wait.min && fresh && ready ? inFlight : null;
    },
    `worker ${child.workerId} to have ${wait.min} refund POSTs in flight`,
    60_000,
    20,
  );
}

async function waitAllFinal(h: Harness, timeoutMs = 90_000): Promise<RefundRecord[]> {
  return waitFor(
    async () => {
      const records = await h.records();
      return records.every((r) => FINAL_STATES.has(r.state)) ? records : null;
    },
    `all ${h.ids.length} refunds to be final`,
    timeoutMs,
    100,
  );
}

/** The exactly-once checks, against our records and the sandbox's ledger. */
async function expectEachRefundedOnce(h: Harness, records: readonly RefundRecord[]) {
  const notSucceeded = records
    .filter((r) => r.state !== "succeeded")
    .map((r) => `${r.refundRequestId}: ${r.state} ${r.lastError?.code ?? ""}`);
  expect(notSucceeded).toEqual([]);

  const createdTwice = h.ids
    .map((id) => [id, h.sandbox.ledger.refundsFor(id).length] as const)
    .filter(([, n]) => n !== 1);
  expect(createdTwice).toEqual([]);
  expect(h.sandbox.ledger.refunds).toHaveLength(h.ids.length);

  for (const [prepayId, amounts] of h.amountsByOrder) {
    const expected = sumAmounts(amounts);
    const order = h.sandbox.ledger.order(prepayId)!;
    expect(order.refundCount).toBe(amounts.length);
    expect(compareAmounts(order.succeededAmount, expected), `${prepayId} succeeded`).toBe(0);
    expect(compareAmounts(order.refundedAmount, expected), `${prepayId} refunded`).toBe(0);
    expect(compareAmounts(order.refundedAmount, ORDER_AMOUNT)).toBeLessThanOrEqual(0);
    const reservation = await h.producer.store.orderReservation(prepayId);
    expect(compareAmounts(reservation.reserved, expected), `${prepayId} reserved`).toBe(0);
  }
}

/** Refunds among `records` that GatePay recorded at or after `atMs`. */
function createdSince(sandbox: Sandbox, records: readonly RefundRecord[], atMs: number): string[] {
  return records
    .map((r) => r.refundRequestId)
    .filter((id) => (sandbox.ledger.firstRefund(id)?.createdAtMs ?? 0) >= atMs);
}

describe("crash: worker process killed with SIGKILL mid-submission", () => {
  it("survives two SIGKILLs with POSTs in flight: every refund succeeds, each created once", async () => {
    const h = await setUp("crash-sigkill", {
      // Requests stay in flight for a while; some are recorded and never answered
      // (dropAfter) or answered after the client gave up (slowAfter): unknown outcomes.
      faults: {
        orderRefund: {
          latencyMs: POST_LATENCY_MS,
          dropAfter: 0.08,
          slowAfter: 0.05,
          slowAfterMs: 2_500,
        },
      },
    });

    const first = await h.startChild();
    const killedFirst = await waitInFlight(h, first, { min: 2, sentWithinMs: SENT_WITHIN_MS });
    const firstKillAt = Date.now();
    first.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

    const second = await h.startChild();
    // Kill the second one in the middle of the run too, once it has made progress.
    const killedSecond = await waitInFlight(h, second, {
      min: 2,
      sentWithinMs: SENT_WITHIN_MS,
      ready: (records) => records.filter((r) => r.state !== "queued").length >= 20,
    });
    const secondKillAt = Date.now();
    second.kill("SIGKILL");
    expect(await second.exited).toEqual({ code: null, signal: "SIGKILL" });

    await h.startChild();
    const records = await waitAllFinal(h);
    await expectEachRefundedOnce(h, records);

    // The kills hit the case that matters: GatePay created refunds after their sender
    // died, so the records stayed `submitting` with an unknown outcome, and a blind
    // re-send would have paid twice.
    const createdAfterKill = [
      ...createdSince(h.sandbox, killedFirst, firstKillAt),
      ...createdSince(h.sandbox, killedSecond, secondKillAt),
    ];
    expect(createdAfterKill.length).toBeGreaterThan(0);
  }, 180_000);

  it("SIGTERM drains in-flight jobs and exits 0; a new worker finishes the rest, each once", async () => {
    const h = await setUp(
      "crash-sigterm",
      { faults: { orderRefund: { latencyMs: POST_LATENCY_MS } } },
      5,
    );

    const first = await h.startChild();
    const inFlight = await waitInFlight(h, first, { min: 2 });
    first.kill("SIGTERM");
    const exit = await withTimeout(first.exited, 30_000, "no exit within 30 s of SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });

    // Nothing the terminated process held is left behind: no lease of it (live or not),
    // no active BullMQ job; and each job in flight at SIGTERM ran to its end and recorded
    // how it ended (accepted, or deferred for a later look-up) before the exit.
    const afterExit = await h.records();
    const leftLeases = afterExit
      .filter((r) => r.submit.leaseOwner?.startsWith(`${first.workerId}/`))
      .map((r) => `${r.refundRequestId}: ${r.state}`);
    expect(leftLeases).toEqual([]);
    expect(await h.producer.queues.submit.getActiveCount()).toBe(0);
    expect(await h.producer.queues.poll.getActiveCount()).toBe(0);
    for (const before of inFlight) {
      const after = afterExit.find((r) => r.refundRequestId === before.refundRequestId)!;
      expect(after.version, before.refundRequestId).toBeGreaterThan(before.version);
    }
    const unfinished = afterExit.filter((r) => !FINAL_STATES.has(r.state));
    expect(unfinished.length).toBeGreaterThan(0);

    await h.startChild();
    const records = await waitAllFinal(h);
    await expectEachRefundedOnce(h, records);
  }, 120_000);
  it("a refund its killed worker recorded `accepted` but never added a poll job for still reaches final", async () => {
    // A SIGKILL lands, now and then, between the two writes a submit run makes after
    // GatePay accepts: the record's `accepted` transition, then the first poll job
    // (src/worker/apply-report.ts applyReport). That instant is reproduced exactly here:
    // the test does the dead worker's steps up to the kill with the real store and a real
    // signed POST, and leaves the submit job waiting (where BullMQ puts a stalled job back
    // after a kill). Workers started then must drive the refund to its final status
    // without waiting for the reconciler's five-minute stall window (DESIGN.md "Scale":
    // a worker can die at any instruction).
    const p = await startPipeline({ name: "crash-accepted-no-poll", workers: false });
    p.sandbox.seedOrders({ prepayId: "4242424242", amount: "10", currency: "USDT", kind: "order" });
    const { record: queued } = await p.producer.enqueue({
      refundRequestId: "A1",
      prepayId: "4242424242",
      refundAmount: "3",
    });

    const started = await p.producer.store.transition(
      "A1",
      {
        type: "submit-started",
        attempt: 1,
        leaseOwner: "dead-worker/submit-A1/1",
        leaseUntilMs: Date.now() + 1_300,
      },
      queued,
    );
    expect(started.applied).toBe(true);
    const created = await buildClient(p.config).createOrderRefund({
      refundRequestId: "A1",
      prepayId: "4242424242",
      refundAmount: "3",
    });
    expect(created.refundRequestId).toBe("A1");
    const accepted = await p.producer.store.transition(
      "A1",
      {
        type: "accepted",
        answer: { source: "create", at: new Date().toISOString() },
        deadlineAtMs: Date.now() + 15_000,
      },
      started.applied ? started.record : null,
    );
    expect(accepted.applied && accepted.record.state).toBe("accepted");
    // Killed here: no poll job was added.
    expect(await p.producer.queues.poll.getJobCounts()).toMatchObject({
      waiting: 0,
      delayed: 0,
      active: 0,
    });

    await p.startWorkers();
    const final = await p.waitFinal("A1", 15_000);
    expect(final.state).toBe("succeeded");
    expect(p.sandbox.ledger.refundsFor("A1")).toHaveLength(1);
  });
});
