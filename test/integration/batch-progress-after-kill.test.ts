/**
 * A batch's live progress after a worker process is SIGKILLed mid-batch (issue 18): the
 * counts that `batch --wait` shows (waitForBatch) and `GET /batches/:id` answers must
 * agree with the refund records within one progress interval, and keep moving once the
 * dead process's refunds are picked up again. The counts are a hash the transition
 * scripts keep in the same atomic step as each record (src/store/lua/transition-5.lua),
 * so a process killed at any instruction cannot leave them behind the records.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { FINAL_STATES } from "../../src/domain/refund-state.js";
import { startHttpServer } from "../../src/http/server.js";
import { createLogger } from "../../src/logger.js";
import { waitForBatch, type BatchProgress } from "../../src/producer/batch/index.js";
import type { BatchCounts } from "../../src/store/refund-store.js";
import { createMetrics } from "../../src/worker/metrics.js";
import { CLIENT_ID, FAST_SETTINGS, SECRET, startPipeline } from "../helpers/pipeline.js";
import { redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

const TOKEN = "api-token-progress-after-kill";
const BATCH_ID = "kill-progress-1";
/** `batch --wait`'s default interval between two looks at the counts, ms. */
const PROGRESS_INTERVAL_MS = 500;
const ORDERS = 4;
const PER_ORDER = 20;

const children: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
});

/** Counts by state of `records`, plus `total`, in the shape of BatchCounts. */
function tally(records: readonly RefundRecord[]): BatchCounts {
  const out: BatchCounts = { total: records.length };
  for (const r of records) out[r.state] = (out[r.state] ?? 0) + 1;
  return out;
}

/** BatchCounts without zero entries (the hash keeps a state at 0 once it was used). */
function nonZero(counts: BatchCounts): BatchCounts {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

function sameCounts(a: BatchCounts, b: BatchCounts): boolean {
  const key = (c: BatchCounts) => JSON.stringify(Object.entries(c).sort());
  return key(a) === key(b);
}

describe("batch progress after a worker is killed", () => {
  it("progress and GET /batches/:id agree with the records within one interval, and keep moving", async () => {
    const p = await startPipeline({
      name: "batch-progress-kill",
      workers: false,
      env: { API_TOKEN: TOKEN },
      sandbox: { faults: { orderRefund: { latencyMs: 300 } } },
    });
    const server = await startHttpServer({
      config: p.config,
      producer: p.producer,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics({ defaultMetrics: false, queuePrefix: p.config.queuePrefix }),
      port: 0,
      host: "127.0.0.1",
    });
    const ids: string[] = [];
    const requests = [];
    for (let o = 0; o < ORDERS; o++) {
      const prepayId = `40${o}9988776655`;
      p.sandbox.seedOrders({ prepayId, amount: "100", currency: "USDT", kind: "order" });
      for (let r = 0; r < PER_ORDER; r++) {
        ids.push(`P${o}x${r}`);
        requests.push({ refundRequestId: `P${o}x${r}`, prepayId, refundAmount: "1.5" });
      }
    }
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
    const start = async () => {
      const child = await startWorkerProcess({ env, settings: FAST_SETTINGS });
      children.push(child);
      return child;
    };
    const records = async () => (await p.producer.store.getMany(ids)).map((r) => r!);
    const httpCounts = async (): Promise<BatchCounts> => {
      const res = await fetch(`${server.url}/batches/${BATCH_ID}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { counts: BatchCounts }).counts;
    };
    /**
     * One look as an operator gets it: the counts over HTTP and from the library, with
     * the records read between them. When nothing moved meanwhile (both counts the same),
     * the records must say exactly the same.
     */
    const agreeingLook = async (): Promise<BatchCounts | null> => {
      const before = nonZero(await httpCounts());
      const truth = tally(await records());
      const after = nonZero(await p.producer.getBatch(BATCH_ID));
      if (!sameCounts(before, after)) return null; // moved in between: look again
      expect(after).toEqual(truth);
      return after;
    };

    try {
      // Both workers ready before the batch is enqueued: started one after the other with
      // the batch waiting, the first could finish it before a slow second start (a loaded
      // machine) and never be seen with POSTs in flight.
      const [doomed] = await Promise.all([start(), start()]);
      await p.producer.enqueueBulk(requests, { batchId: BATCH_ID });
      await waitFor(
        async () =>
          (await records()).filter(
            (r) =>
              r.state === "submitting" &&
              r.submit.leaseOwner?.startsWith(`${doomed.workerId}/`) === true,
          ).length >= 2,
        "the doomed worker to have POSTs in flight",
        60_000,
        20,
      );
      doomed.kill("SIGKILL");
      await doomed.exited;

      // `batch --wait`'s view, at its interval, from the kill to the end.
      const seen: BatchProgress[] = [];
      const watching = waitForBatch(p.producer, BATCH_ID, {
        intervalMs: PROGRESS_INTERVAL_MS,
        timeoutMs: 120_000,
        onProgress: (progress) => seen.push(progress),
      });

      // While the batch runs: each look agrees with the records (a look that raced a
      // transition is retried; a generous timeout for a loaded machine).
      let looks = 0;
      while (!(await records()).every((r) => FINAL_STATES.has(r.state))) {
        await waitFor(agreeingLook, "counts that agree with the records", 10_000, 20);
        looks++;
        await new Promise((r) => setTimeout(r, PROGRESS_INTERVAL_MS));
      }
      const last = await watching;
      expect(last.done).toBe(true);
      expect(looks).toBeGreaterThan(0);

      // The end: every view says the same, and what the records say.
      const final = tally(await records());
      expect(nonZero(last.counts)).toEqual(final);
      expect(nonZero(await httpCounts())).toEqual(final);
      expect(final).toEqual({ total: ids.length, succeeded: ids.length });

      // The progress never claimed more than the records had reached, and it moved after
      // the kill: the dead process's refunds were picked up again.
      const finals = seen.map((s) => s.final);
      expect(finals).toEqual([...finals].sort((a, b) => a - b));
      expect(finals.at(-1)).toBe(ids.length);
      expect(finals[0]!).toBeLessThan(ids.length);
      expect(p.sandbox.ledger.refunds).toHaveLength(ids.length);
    } finally {
      await server.close();
    }
  }, 180_000);
});
