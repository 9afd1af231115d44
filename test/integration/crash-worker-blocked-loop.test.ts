/**
 * A worker process whose event loop is blocked (a CPU-bound stretch, a long GC pause)
 * for longer than its job lock while it has refund POSTs in flight: BullMQ cannot renew
 * the locks, the other process's stalled-job check takes the jobs, and two runs of the
 * same job overlap while both processes live. The shorter lock of the recovery-time
 * objective (src/worker/recovery-time.ts) makes that more likely; it must cost work,
 * never money. The sandbox runs in its strict `duplicate` mode, where a blind re-send
 * records a second refund, so the ledger shows any refund paid twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { compareAmounts, sumAmounts } from "../../src/domain/amount.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { FINAL_STATES } from "../../src/domain/refund-state.js";
import { CLIENT_ID, FAST_SETTINGS, SECRET, startPipeline } from "../helpers/pipeline.js";
import { redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

/** The child's lock is 2 s and its lease 3 s (test/helpers/worker-process.ts): block past both. */
const BLOCK_MS = 5_000;
const ORDERS = 5;
const PER_ORDER = 20;
const ORDER_AMOUNT = "100";

const children: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
});

describe("crash: a worker's event loop blocked past its job lock", () => {
  it("overlapping runs of the same jobs create every refund exactly once", async () => {
    const p = await startPipeline({
      name: "crash-blocked-loop",
      workers: false,
      sandbox: { faults: { orderRefund: { latencyMs: 400 } } },
    });
    const ids: string[] = [];
    const amounts = new Map<string, string[]>();
    const requests = [];
    for (let o = 0; o < ORDERS; o++) {
      const prepayId = `30${o}1122334455`;
      p.sandbox.seedOrders({ prepayId, amount: ORDER_AMOUNT, currency: "USDT", kind: "order" });
      amounts.set(prepayId, []);
      for (let r = 0; r < PER_ORDER; r++) {
        const refundRequestId = `B${o}x${r}`;
        const refundAmount = `${(r % 4) + 1}.25`;
        ids.push(refundRequestId);
        amounts.get(prepayId)!.push(refundAmount);
        requests.push({ refundRequestId, prepayId, refundAmount, orderAmount: ORDER_AMOUNT });
      }
    }
    await p.producer.enqueueBulk(requests);

    const env = {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: p.prefix,
      GATEPAY_BASE_URL: p.sandbox.url,
      GATEPAY_CLIENT_ID: CLIENT_ID,
      GATEPAY_SECRET_KEY: SECRET,
      WORKER_CONCURRENCY: "4",
      SUBMIT_MAX_ATTEMPTS: "20",
      LOG_LEVEL: "info",
    };
    const start = async (blockMsOnSignal?: number) => {
      const child = await startWorkerProcess({
        env,
        settings: FAST_SETTINGS,
        ...(blockMsOnSignal !== undefined && { blockMsOnSignal }),
      });
      children.push(child);
      return child;
    };
    const records = async (): Promise<RefundRecord[]> =>
      (await p.producer.store.getMany(ids)).map((r) => r!);
    const heldBy = (child: WorkerProcess, rs: RefundRecord[]) =>
      rs.filter(
        (r) =>
          r.state === "submitting" &&
          r.submit.leaseOwner?.startsWith(`${child.workerId}/`) === true &&
          (r.submit.leaseUntilMs ?? 0) > Date.now(),
      );

    const busy = await start(BLOCK_MS);
    const other = await start();
    // Block with POSTs of the busy process in flight; a second time if the batch is not
    // through by the time the first block ends (a loaded machine makes that likely).
    const blockedHolding: string[] = [];
    for (let round = 0; round < 2; round++) {
      const find = async () => {
        const rs = await records();
        const h = heldBy(busy, rs);
        if (h.length >= 2) return h;
        return round > 0 && rs.every((r) => r.state !== "queued") ? "done" : null;
      };
      const held = await waitFor(find, `the busy worker to have 2 POSTs in flight`, 60_000, 20);
      if (held === "done") break;
      blockedHolding.push(...held.map((r) => r.refundRequestId));
      busy.kill("SIGUSR2");
      await waitFor(
        () => busy.logs().filter((l) => l.includes("event loop unblocked")).length > round,
        "the busy worker's event loop to run again",
        BLOCK_MS + 30_000,
      );
    }

    const final = await waitFor(
      async () => {
        const rs = await records();
        return rs.every((r) => FINAL_STATES.has(r.state)) ? rs : null;
      },
      `all ${ids.length} refunds final`,
      120_000,
      100,
    );
    expect(busy.isRunning() && other.isRunning()).toBe(true);

    // The block did what it is here for: jobs lost their lock while their process lived
    // and ran again elsewhere (BullMQ counts each such stall on the job).
    const jobs = [
      ...(await p.producer.queues.submit.getJobs(["completed", "failed", "delayed", "wait"])),
      ...(await p.producer.queues.poll.getJobs(["completed", "failed", "delayed", "wait"])),
    ];
    const stalled = jobs.filter((j) => j.stalledCounter > 0);
    expect(stalled.length, "jobs that stalled while their worker lived").toBeGreaterThan(0);
    expect(busy.logs().some((l) => l.includes("blocking the event loop"))).toBe(true);

    // Money: each refund created once, every refund succeeded, no order over-refunded.
    const notSucceeded = final
      .filter((r) => r.state !== "succeeded")
      .map((r) => `${r.refundRequestId}: ${r.state} ${r.lastError?.code ?? ""}`);
    expect(notSucceeded).toEqual([]);
    const createdTwice = ids.filter((id) => p.sandbox.ledger.refundsFor(id).length !== 1);
    expect(createdTwice).toEqual([]);
    expect(p.sandbox.ledger.refunds).toHaveLength(ids.length);
    for (const [prepayId, list] of amounts) {
      const order = p.sandbox.ledger.order(prepayId)!;
      expect(compareAmounts(order.refundedAmount, sumAmounts(list)), prepayId).toBe(0);
    }
    expect(blockedHolding.length).toBeGreaterThanOrEqual(2);
  }, 240_000);
});
