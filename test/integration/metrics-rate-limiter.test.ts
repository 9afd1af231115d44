/**
 * The worker times its waits for the shared GATEPAY_MAX_RPS budget into
 * `gatepay_refunds_rate_limiter_wait_seconds` (real Redis limiter, the sandbox over HTTP),
 * and records nothing there when no cap is set.
 */
import { describe, expect, it } from "vitest";
import { createMetrics, METRIC_NAMES } from "../../src/worker/metrics.js";
import { startRefundWorkers } from "../../src/worker/start-workers.js";
import { FAST_SETTINGS, startPipeline } from "../helpers/pipeline.js";
import { sampleValue } from "../helpers/prometheus.js";

async function runRefunds(env: Record<string, string>, count: number): Promise<string> {
  const p = await startPipeline({
    name: "metrics-rate",
    workers: false,
    env,
    sandbox: { settleDelayMs: 0 },
  });
  p.sandbox.seedOrders({ prepayId: "43", amount: "100", currency: "USDT", kind: "order" });
  const metrics = createMetrics({ defaultMetrics: false, queuePrefix: p.config.queuePrefix });
  const workers = await startRefundWorkers({
    config: p.config,
    logger: p.logger,
    metrics,
    settings: FAST_SETTINGS,
    reconciler: { intervalMs: 0 },
  });
  try {
    await workers.waitUntilReady();
    const ids = Array.from({ length: count }, (_, i) => `MRL${i}`);
    await p.producer.enqueueBulk(
      ids.map((id) => ({ refundRequestId: id, prepayId: "43", refundAmount: "1" })),
    );
    for (const id of ids) expect((await p.waitFinal(id, 30_000)).state).toBe("succeeded");
    return await metrics.text();
  } finally {
    await workers.close();
  }
}

describe("rate-limiter wait metric", () => {
  it("records one wait per GatePay request under a cap, some of them long", async () => {
    const text = await runRefunds({ GATEPAY_MAX_RPS: "10" }, 6);
    const waits = sampleValue(text, `${METRIC_NAMES.rateLimiterWait}_count`) ?? 0;
    // A POST and at least one GET per refund went through the limiter.
    expect(waits).toBeGreaterThanOrEqual(12);
    // Six POSTs at once against 10 per second: the last waited about half a second.
    const quick = sampleValue(text, `${METRIC_NAMES.rateLimiterWait}_bucket`, { le: "0.05" });
    expect(quick).toBeLessThan(waits);
  });

  it("records nothing without a cap", async () => {
    const text = await runRefunds({}, 2);
    expect(sampleValue(text, `${METRIC_NAMES.rateLimiterWait}_count`)).toBe(0);
  });
});
