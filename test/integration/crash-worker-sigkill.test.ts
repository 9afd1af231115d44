/**
 * Crash tests: the workers run in a child process that is SIGKILLed while refund POSTs
 * are in flight (DESIGN.md "Scale": a worker can die at any instruction). The sandbox runs
 * in its strict `duplicate` mode, where a blind re-send records a second refund, so the
 * ledger shows any refund that moved money twice.
 */
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { compareAmounts, sumAmounts } from "../../src/domain/amount.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { FINAL_STATES } from "../../src/domain/refund-state.js";
import {
  startSandbox,
  type Sandbox,
  type SandboxOptions,
} from "../../src/gatepay/sandbox/index.js";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import { CLIENT_ID, FAST_SETTINGS, SECRET } from "../helpers/pipeline.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

const ORDERS = 6;
const REFUNDS_PER_ORDER = 10;
const ORDER_AMOUNT = "100";

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
function inFlightOf(records: readonly RefundRecord[], child: WorkerProcess): string[] {
  const now = Date.now();
  return records
    .filter(
      (r) =>
        r.state === "submitting" &&
        r.submit.leaseOwner?.startsWith(`${child.workerId}/`) === true &&
        (r.submit.leaseUntilMs ?? 0) > now,
    )
    .map((r) => r.refundRequestId);
}

/** Waits until `child` has at least `min` POSTs in flight (and `ready` holds); returns their ids. */
async function waitInFlight(
  h: Harness,
  child: WorkerProcess,
  min: number,
  ready: (records: RefundRecord[]) => boolean = () => true,
): Promise<string[]> {
  return waitFor(
    async () => {
      const records = await h.records();
      const ids = inFlightOf(records, child);
      return ids.length >= min && ready(records) ? ids : null;
    },
    `worker ${child.workerId} to have ${min} refund POSTs in flight`,
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

/** Ledger refunds among `ids` that GatePay recorded at or after `atMs`. */
function createdSince(sandbox: Sandbox, ids: readonly string[], atMs: number): string[] {
  return ids.filter((id) => (sandbox.ledger.firstRefund(id)?.createdAtMs ?? 0) >= atMs);
}

describe("crash: worker process killed with SIGKILL mid-submission", () => {
  it("survives two SIGKILLs with POSTs in flight: every refund succeeds, each created once", async () => {
    const h = await setUp("crash-sigkill", {
      // Requests stay in flight for a while; some are recorded and never answered
      // (dropAfter) or answered after the client gave up (slowAfter): unknown outcomes.
      faults: {
        orderRefund: { latencyMs: 300, dropAfter: 0.08, slowAfter: 0.05, slowAfterMs: 2_500 },
      },
    });

    const first = await h.startChild();
    const killedFirst = await waitInFlight(h, first, 2);
    const firstKillAt = Date.now();
    first.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

    const second = await h.startChild();
    // Kill the second one in the middle of the run too, once it has made progress.
    const killedSecond = await waitInFlight(
      h,
      second,
      2,
      (records) => records.filter((r) => r.state !== "queued").length >= 20,
    );
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
    for (const id of [...killedFirst, ...killedSecond]) {
      const record = records.find((r) => r.refundRequestId === id)!;
      // Each in-flight refund was started by a dead worker and finished by a later one.
      expect(record.history.some((e) => e.event === "submit-started")).toBe(true);
      expect(record.state).toBe("succeeded");
    }
  }, 180_000);

  it("SIGTERM drains in-flight jobs and exits 0; a new worker finishes the rest, each once", async () => {
    const h = await setUp("crash-sigterm", { faults: { orderRefund: { latencyMs: 300 } } }, 5);

    const first = await h.startChild();
    const inFlight = await waitInFlight(h, first, 2);
    first.kill("SIGTERM");
    const exit = await Promise.race([
      first.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("no exit within 30 s of SIGTERM")), 30_000),
      ),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });

    // Nothing the terminated process held is left behind: no lease of it (live or not),
    // no active BullMQ job, and the POSTs in flight at SIGTERM were answered and recorded.
    const afterExit = await h.records();
    const leftLeases = afterExit
      .filter((r) => r.submit.leaseOwner?.startsWith(`${first.workerId}/`))
      .map((r) => `${r.refundRequestId}: ${r.state}`);
    expect(leftLeases).toEqual([]);
    expect(await h.producer.queues.submit.getActiveCount()).toBe(0);
    expect(await h.producer.queues.poll.getActiveCount()).toBe(0);
    for (const id of inFlight) {
      const record = afterExit.find((r) => r.refundRequestId === id)!;
      expect(["accepted", "processing", "succeeded"], id).toContain(record.state);
      expect(h.sandbox.ledger.refundsFor(id), id).toHaveLength(1);
    }
    const unfinished = afterExit.filter((r) => !FINAL_STATES.has(r.state));
    expect(unfinished.length).toBeGreaterThan(0);

    await h.startChild();
    const records = await waitAllFinal(h);
    await expectEachRefundedOnce(h, records);
  }, 120_000);
});
