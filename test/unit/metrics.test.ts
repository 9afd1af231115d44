/**
 * Metric conventions (src/worker/metrics.ts): one `gatepay_refunds_` namespace, units in
 * the names, the queue prefix on every series, and the rate-limiter timer.
 */
import { describe, expect, it } from "vitest";
import { createMetrics, METRIC_NAMES } from "../../src/worker/metrics.js";
import { sampleValue } from "../helpers/prometheus.js";

describe("metrics", () => {
  it("names every metric gatepay_refunds_*, counters *_total, histograms *_seconds", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const all = await metrics.registry.getMetricsAsJSON();
    expect(all.map((m) => m.name).sort()).toEqual(Object.values(METRIC_NAMES).sort());
    for (const m of all) {
      expect(m.name).toMatch(/^gatepay_refunds_[a-z_]+$/);
      const type = String(m.type);
      if (type === "counter") expect(m.name).toMatch(/_total$/);
      if (type === "histogram") expect(m.name).toMatch(/_seconds$/);
      if (type === "gauge") expect(m.name).not.toMatch(/_total$/);
    }
  });

  it("labels every series, the process metrics included, with the queue prefix", async () => {
    const metrics = createMetrics({ queuePrefix: "{shop-eu}" });
    metrics.observeSubmit("accepted");
    metrics.observeHttpRequest({
      method: "POST",
      route: "/refunds",
      statusCode: 201,
      durationSeconds: 0.004,
    });
    const text = await metrics.text();
    const series = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(series.length).toBeGreaterThan(20);
    for (const line of series) expect(line).toContain('prefix="{shop-eu}"');
    expect(
      sampleValue(text, `${METRIC_NAMES.httpRequestDuration}_count`, {
        prefix: "{shop-eu}",
        method: "POST",
        route: "/refunds",
        status_code: "201",
      }),
    ).toBe(1);
    // Without a prefix there is no such label.
    const bare = await createMetrics({ defaultMetrics: false }).text();
    expect(bare).not.toContain("prefix=");
  });

  it("times each wait of a rate limiter; a failed wait is not recorded", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let fail = false;
    const timed = metrics.timeRateLimiter({
      acquire: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (fail) throw new Error("aborted");
      },
    });
    await timed.acquire();
    await timed.acquire();
    fail = true;
    await expect(timed.acquire()).rejects.toThrow("aborted");
    const text = await metrics.text();
    expect(sampleValue(text, `${METRIC_NAMES.rateLimiterWait}_count`)).toBe(2);
    expect(sampleValue(text, `${METRIC_NAMES.rateLimiterWait}_sum`)).toBeGreaterThanOrEqual(0.05);
    expect(sampleValue(text, `${METRIC_NAMES.rateLimiterWait}_bucket`, { le: "0.01" })).toBe(0);
  });
});
