/** The overview's figures that do not come from the store: queue depths and GatePay rates. */
import type { RefundQueues } from "../../jobs/refund-queues.js";
import type { RefundProducer } from "../../producer/enqueue-refund.js";
import { METRIC_NAMES, type RefundMetrics } from "../../worker/metrics.js";
import type { GatePayRate, QueueDepth } from "./overview-page.js";

/** Job counts of the submit and poll queues, summed over every shard's. */
export async function queueDepths(producer: RefundProducer): Promise<QueueDepth[]> {
  const kinds = [(q: RefundQueues) => q.submit, (q: RefundQueues) => q.poll];
  return Promise.all(
    kinds.map(async (kind) => {
      const parts = await Promise.all(
        producer.shardQueues.map((q) =>
          kind(q).getJobCounts(
            "waiting",
            "active",
            "delayed",
            "prioritized",
            "completed",
            "failed",
          ),
        ),
      );
      const counts: Record<string, number> = {};
      for (const part of parts) {
        for (const [state, n] of Object.entries(part)) counts[state] = (counts[state] ?? 0) + n;
      }
      return { name: kind(producer.queues).name, counts };
    }),
  );
}

/**
 * GatePay HTTP attempts of this process by endpoint, from the latency histogram's counts
 * (`outcome` other than `ok` is an error: API error, timeout, connection, bad response).
 */
export async function gatepayRates(metrics: RefundMetrics): Promise<GatePayRate[]> {
  const metric = metrics.registry.getSingleMetric(METRIC_NAMES.gatepayLatency);
  if (!metric) return [];
  const { values } = await metric.get();
  const byEndpoint = new Map<string, GatePayRate>();
  for (const v of values) {
    if (!("metricName" in v) || !String(v.metricName).endsWith("_count")) continue;
    const endpoint = String(v.labels["endpoint"] ?? "unknown");
    const outcome = String(v.labels["outcome"] ?? "unknown");
    const rate = byEndpoint.get(endpoint) ?? { endpoint, attempts: 0, errors: 0, byOutcome: {} };
    rate.attempts += v.value;
    if (outcome !== "ok") rate.errors += v.value;
    rate.byOutcome[outcome] = (rate.byOutcome[outcome] ?? 0) + v.value;
    byEndpoint.set(endpoint, rate);
  }
  return [...byEndpoint.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
}
