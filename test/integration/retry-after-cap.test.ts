/**
 * Issue 13 item 5: a proxy's `Retry-After: 31536000` (a year) must not park a refund
 * for a year with no alert. A real HTTP server answers every GatePay call 429 with that
 * header; the submit worker's next attempt must come after at most POLL_MAX_DELAY_MS, and
 * the capped value is counted. Before the fix the second attempt waited a year.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { startRefundWorkers } from "../../src/worker/start-workers.js";
import { createMetrics, METRIC_NAMES } from "../../src/worker/metrics.js";
import { startCaptureServer } from "../helpers/capture-server.js";
import { FAST_SETTINGS, startPipeline } from "../helpers/pipeline.js";
import { sampleValue } from "../helpers/prometheus.js";

describe("Retry-After cap", () => {
  it("a year-long Retry-After is capped at POLL_MAX_DELAY_MS and counted", async () => {
    const gatepay = await startCaptureServer({
      fallback: {
        status: 429,
        headers: { "Retry-After": "31536000", "content-type": "text/plain" },
        body: "slow down",
      },
    });
    onTestFinished(() => gatepay.close());
    const p = await startPipeline({
      name: "retry-after-cap",
      workers: false,
      env: { GATEPAY_BASE_URL: gatepay.url },
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const workers = await startRefundWorkers({
      config: p.config,
      logger: p.logger,
      metrics,
      settings: { ...FAST_SETTINGS, poll: { ...FAST_SETTINGS.poll!, maxDelayMs: 600 } },
      reconciler: { intervalMs: 0 },
    });
    try {
      await p.producer.enqueue({ refundRequestId: "RA1", prepayId: "9001", refundAmount: "1" });
      // The second POST comes after the capped 600 ms, not after a year.
      await gatepay.waitForRequests(2, 20_000);
      const text = await metrics.text();
      expect(sampleValue(text, METRIC_NAMES.retryAfterCapped)).toBeGreaterThanOrEqual(1);
      expect(p.logs.some((l) => l.includes("Retry-After longer than POLL_MAX_DELAY_MS"))).toBe(
        true,
      );
    } finally {
      await workers.close();
    }
  });
});
