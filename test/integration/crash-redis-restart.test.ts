/**
 * Crash test: Redis itself dies (SIGKILL) while refunds are in flight and comes back on
 * the same port from its append-only file. The workers' connections must ride it out
 * (`maxRetriesPerRequest: null`, ioredis reconnects), nothing Redis acknowledged may be
 * lost (AOF `always`), and no refund may move money twice or be left behind.
 *
 * Runs against a redis-server of its own (test/helpers/redis-server.ts), never the shared
 * one; the workers run in-process, the sandbox in its strict `duplicate` mode.
 */
import { capturedLogger } from "../helpers/captured-logger.js";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { compareAmounts, sumAmounts } from "../../src/domain/amount.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { FINAL_STATES } from "../../src/domain/refund-state.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import { startRefundWorkers, type RefundWorkers } from "../../src/worker/start-workers.js";
import { withTimeout } from "../../src/with-timeout.js";
import { CLIENT_ID, FAST_SETTINGS, SECRET } from "../helpers/pipeline.js";
import { newPrefix } from "../helpers/redis.js";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { waitFor } from "../helpers/wait-for.js";

const ORDERS = 4;
const REFUNDS_PER_ORDER = 10;
const ORDER_AMOUNT = "100";
/** How long Redis stays down: long enough for BullMQ locks (2 s) to be at risk. */
const OUTAGE_MS = 1_000;

/** Teardown steps of the current test, run last-in first-out after it, pass or fail. */
const teardown: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  const errors: unknown[] = [];
  for (const step of teardown.splice(0).reverse()) {
    await step().catch((err: unknown) => errors.push(err));
  }
  if (errors.length > 0) throw new AggregateError(errors, "teardown failed");
});

/** Resolves `promise`, or rejects after `ms` with `what`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(promise, ms, `${what} took longer than ${ms} ms`);
}

describe("crash: Redis killed with SIGKILL and restarted from its AOF", () => {
  it("every in-flight refund still reaches succeeded, created exactly once, none lost", async () => {
    const server: RedisServer = await startRedisServer();
    teardown.push(() => server.close());

    const sandbox: Sandbox = await startSandbox({
      clientId: CLIENT_ID,
      secretKey: SECRET,
      duplicateMode: "duplicate",
      settleDelayMs: 200,
      // Each POST stays in flight for a while, so the kill finds some mid-request.
      faults: { orderRefund: { latencyMs: 300 } },
    });
    teardown.push(() => sandbox.close());

    // The test's own view of Redis: errors while it is down are expected (waitFor retries).
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    const redisErrors: string[] = [];
    redis.on("error", (err: Error) => redisErrors.push(err.message));
    teardown.push(() => redis.quit().catch(() => redis.disconnect()));

    const prefix = newPrefix("crash-redis");
    const producer: RefundProducer = createRefundProducer({
      redis,
      prefix,
      submitMaxAttempts: 20,
    });
    for (const q of [producer.queues.submit, producer.queues.poll]) {
      q.on("error", (err: Error) => redisErrors.push(err.message));
    }
    teardown.push(() => producer.close());

    const ids: string[] = [];
    const amountsByOrder = new Map<string, string[]>();
    const requests: unknown[] = [];
    for (let o = 0; o < ORDERS; o++) {
      const prepayId = `88${o}1234567890`;
      sandbox.seedOrders({ prepayId, amount: ORDER_AMOUNT, currency: "USDT", kind: "order" });
      const amounts: string[] = [];
      for (let r = 0; r < REFUNDS_PER_ORDER; r++) {
        const refundRequestId = `RR${o}n${r}`;
        const refundAmount = `${r + 2}.25`;
        ids.push(refundRequestId);
        amounts.push(refundAmount);
        requests.push({ refundRequestId, prepayId, refundAmount, orderAmount: ORDER_AMOUNT });
      }
      amountsByOrder.set(prepayId, amounts);
    }
    const enqueued = await producer.enqueueBulk(requests);
    expect(enqueued.map((e) => e.outcome)).toEqual(requests.map(() => "created"));

    const { logger, logs } = capturedLogger("info", 2_000);
    const config = loadConfig(
      {
        REDIS_URL: server.url,
        QUEUE_PREFIX: prefix,
        GATEPAY_BASE_URL: sandbox.url,
        GATEPAY_CLIENT_ID: CLIENT_ID,
        GATEPAY_SECRET_KEY: SECRET,
        WORKER_CONCURRENCY: "5",
        SUBMIT_MAX_ATTEMPTS: "20",
      },
      { require: ["gatepay"] },
    );
    const workers: RefundWorkers = await startRefundWorkers({
      config,
      logger,
      settings: FAST_SETTINGS,
      reconciler: { intervalMs: 500 },
      stalledIntervalMs: 1_000,
      lockDurationMs: 2_000,
    });
    for (const q of [workers.context.queues.submit, workers.context.queues.poll]) {
      q.on("error", (err: Error) => redisErrors.push(err.message));
    }
    teardown.push(async () => {
      // Closing needs Redis; a test that failed during the outage may have left it down.
      if (server.pid === undefined) await server.restart();
      try {
        await within(workers.close(), 15_000, "closing the workers");
      } catch {
        await Promise.all([workers.submitWorker.close(true), workers.pollWorker.close(true)]);
        workers.store.redis.disconnect();
      }
    });
    await workers.waitUntilReady();

    const records = async (): Promise<RefundRecord[]> => {
      const all = await producer.store.getMany(ids);
      return all.map((r, i) => {
        if (!r) throw new Error(`no record for ${ids[i]}`);
        return r;
      });
    };

    try {
      // Kill Redis mid-run: POSTs in flight, some refunds done, most still to do.
      const beforeKill = await waitFor(
        async () => {
          const now = Date.now();
          const all = await records();
          const inFlight = all.filter(
            (r) => r.state === "submitting" && (r.submit.leaseUntilMs ?? 0) > now,
          );
          const started = all.filter((r) => r.state !== "queued").length;
          return inFlight.length >= 2 && started >= 8 && started < ids.length ? all : null;
        },
        "refunds to be in flight",
        30_000,
        20,
      );
      await server.stop("SIGKILL");
      // The outage itself: the scenario under test, not a wait for some state.
      await sleep(OUTAGE_MS);
      await server.restart();

      // Nothing Redis acknowledged before the kill is lost (AOF, appendfsync always):
      // every record is back, at least at the version read before the kill.
      const afterRestart = await waitFor(
        () => records(),
        "records to be readable after restart",
        15_000,
      );
      const versionLost = afterRestart
        .filter((r, i) => r.version < beforeKill[i]!.version)
        .map((r) => r.refundRequestId);
      expect(versionLost).toEqual([]);

      const final = await waitFor(
        async () => {
          const all = await records();
          return all.every((r) => FINAL_STATES.has(r.state)) ? all : null;
        },
        `all ${ids.length} refunds to be final after the Redis restart`,
        30_000,
        100,
      );

      const notSucceeded = final
        .filter((r) => r.state !== "succeeded")
        .map((r) => `${r.refundRequestId}: ${r.state} ${r.lastError?.code ?? ""}`);
      expect(notSucceeded).toEqual([]);
      const notOnce = ids
        .map((id) => [id, sandbox.ledger.refundsFor(id).length] as const)
        .filter(([, n]) => n !== 1);
      expect(notOnce).toEqual([]);
      expect(sandbox.ledger.refunds).toHaveLength(ids.length);
      for (const [prepayId, amounts] of amountsByOrder) {
        const expected = sumAmounts(amounts);
        const order = sandbox.ledger.order(prepayId)!;
        expect(compareAmounts(order.succeededAmount, expected), prepayId).toBe(0);
        expect(compareAmounts(order.refundedAmount, expected), prepayId).toBe(0);
        const reservation = await producer.store.orderReservation(prepayId);
        expect(compareAmounts(reservation.reserved, expected), prepayId).toBe(0);
      }
      // No job lost: nothing is left for the reconciler, and BullMQ failed no job.
      expect(await redis.zcard(producer.store.keys.inflight)).toBe(0);
      expect(await producer.queues.submit.getFailedCount()).toBe(0);
      expect(await producer.queues.poll.getFailedCount()).toBe(0);
      // The connections did see the outage (the test exercised a reconnect).
      expect(redisErrors.length).toBeGreaterThan(0);
    } catch (err) {
      console.warn(
        `redis restart test failed; prefix ${prefix}; last worker logs:\n` +
          logs.slice(-40).join("\n"),
      );
      throw err;
    }
  }, 60_000);
});
