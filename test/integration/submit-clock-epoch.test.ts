/**
 * Redis's clock across a change of server (issue 12 item 4), on the real Redis and the
 * sandbox over HTTP: the store reads the time and the server's epoch in one script, and a
 * refund whose unknown-outcome send was timed under another epoch (a failover or restart
 * since) is not looked up on the time elapsed across it: its clock restarts on the new
 * server, and the look-up waits the timeout and the grace again from now.
 */
import { describe, expect, it } from "vitest";
import { parseInfo, serverEpoch } from "../../src/domain/durability.js";
import { submitLeaseUntilMs } from "../../src/domain/submit-decision.js";
import { startPipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

const ORDER = "1647438500687777";
const HOUR_MS = 3_600_000;

describe("the shared clock and the server epoch", () => {
  it("are read together, from the server holding the shard", async () => {
    const p = await startPipeline({ name: "clock-epoch-read", workers: false });
    const info = parseInfo(await p.redis.info());
    const [seconds] = await p.redis.time();
    const clock = await p.producer.store.sharedClock();
    const [secondsAfter] = await p.redis.time();
    expect(clock.epoch).toBe(
      serverEpoch({ runId: info.run_id ?? "", replId: info.master_replid ?? "" }),
    );
    expect(clock.epoch).toMatch(/^[0-9a-f]{40}:[0-9a-f]{40}$/);
    expect(Math.floor(clock.nowMs / 1000)).toBeGreaterThanOrEqual(Number(seconds));
    expect(Math.floor(clock.nowMs / 1000)).toBeLessThanOrEqual(Number(secondsAfter));
  });
});

describe("a send timed under another Redis epoch", () => {
  it("is not looked up on the time elapsed across the change: its clock restarts", async () => {
    // A long timeout and grace: once the clock restarts, the look-up is minutes away.
    const settings = { timeoutMs: 60_000, unknownOutcomeGraceMs: 60_000 };
    const p = await startPipeline({ name: "clock-epoch-restart", workers: false, settings });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    const id = "CLK1";
    await p.producer.enqueue({ refundRequestId: id, prepayId: ORDER, refundAmount: "1" });
    const store = p.producer.store;
    const before = await store.sharedClock();
    // A run on the old master sent an hour ago (on its clock) and got no answer; the
    // record then came over to a server with another identity (here: a made-up old one).
    const sentAt = before.nowMs - HOUR_MS;
    const started = await store.transition(id, {
      type: "submit-started",
      attempt: 1,
      leaseOwner: "gone-worker/submit-CLK1/1",
      leaseUntilMs: submitLeaseUntilMs(sentAt, { ...settings, leaseMarginMs: 2_000 }),
      sentAtMs: sentAt,
      epoch: "0000000000000000000000000000000000000000:old-master",
    });
    expect(started.applied).toBe(true);
    const deferred = await store.transition(id, {
      type: "submit-deferred",
      mayExist: true,
      sentAttempt: 1,
      error: { code: "TIMEOUT", message: "no answer" },
    });
    expect(deferred.applied).toBe(true);

    await p.startWorkers(settings);
    // The submit job (still waiting since the enqueue) runs: on elapsed time alone the
    // look-up would be due an hour ago; instead the record's times are re-based.
    const restarted = await waitFor(
      async () => {
        const r = await p.producer.getRefund(id);
        return r?.history.some((h) => h.event === "clock-restarted") ? r : null;
      },
      "the refund's clock to restart",
      15_000,
    );
    expect(restarted.submit.clockEpoch).toBe(before.epoch);
    expect(restarted.submit.lastSentAtMs).toBeGreaterThanOrEqual(before.nowMs);
    expect(restarted.submit.mayExist).toBe(true);
    expect(restarted.state).toBe("submitting");
    // The job waits (delayed) for the new look-up time; GatePay was not asked, and
    // nothing was sent.
    await waitFor(
      async () => (await p.producer.queues.submit.getDelayedCount()) === 1,
      "the submit job to wait for its look-up time",
      15_000,
    );
    const counters = p.sandbox.counters();
    expect(counters.requests.refundDetails).toBe(0);
    expect(counters.requests.refundQueryV1).toBe(0);
    expect(counters.requests.orderRefund).toBe(0);
    expect(p.logs.some((l) => l.includes('"event":"clock-restarted"'))).toBe(true);
  });
});
