/** The overview's figures that do not come from the store: queue depths and GatePay rates. */
import type { RefundProducer } from "../../producer/enqueue-refund.js";
import { METRIC_NAMES, type RefundMetrics } from "../../worker/metrics.js";
import type { GatePayRate, QueueDepth } from "./overview-page.js";

/** Job counts of the submit and poll queues. */
export async function queueDepths(producer: RefundProducer): Promise<QueueDepth[]> {
  const queues = [producer.queues.submit, producer.queues.poll];
  return Promise.all(
    queues.map(async (q) => ({
      name: q.name,
      counts: await q.getJobCounts(
        "waiting",
        "active",
        "delayed",
        "prioritized",
        "completed",
        "failed",
      ),
    })),
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
