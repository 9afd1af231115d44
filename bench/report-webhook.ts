/**
 * The webhook latency and signing sections.
 */
import { ratio } from "./stats.js";
import type { WebhookLatency } from "./webhook.js";
import { f0, f2, fx, table } from "./report-format.js";
import type { BenchResults } from "./report-types.js";

export function webhookSection(r: BenchResults): string {
  const w = r.webhook;
  if (!w?.length) return "";
  const b = w.find((x) => x.mode === "baseline");
  const p = w.find((x) => x.mode === "pipeline");
  return [
    "## 7. Webhook-to-final latency",
    "",
    "A signed PAY_REFUND `REFUND_SUCCESS` notification (§7.3, built by the sandbox's body builder, " +
      "signed by the project's signer) POSTed for an `accepted` refund, one at a time over a " +
      "keep-alive connection; the receiver answers only after the record is final, so the round " +
      "trip is the time from GatePay sending to the refund being final. Pipeline: the worker " +
      "process (workers + HTTP server, fastify, metrics, `info` logs). Baseline: a bare node:http " +
      "receiver that verifies the signature, parses the body, writes one Redis hash and acks. The " +
      "first tenth of the notifications warm up and are not counted.",
    "",
    table(
      ["", "notifications", "p50 ms", "p99 ms", "max ms"],
      [b, p]
        .filter((x): x is WebhookLatency => x !== undefined)
        .map((x) => [
          x.mode === "baseline" ? "bare receiver (baseline)" : "pipeline",
          String(x.count),
          f2(x.p50Ms),
          f2(x.p99Ms),
          f2(x.maxMs),
        ]),
    ),
    "",
    p && b
      ? `Ratio p50 ${fx(ratio(p.p50Ms, b.p50Ms))}, p99 ${fx(ratio(p.p99Ms, b.p99Ms))}. ` +
        "The pipeline's webhook path reads the record, runs the compare-and-set transition and " +
        "answers through fastify; no target was set."
      : "",
  ].join("\n");
}

export function signingSection(r: BenchResults): string {
  const s = r.signing;
  if (!s?.length) return "";
  return [
    "## 8. Signing",
    "",
    "Single-threaded operations per second on a typical refund body, the project's function and " +
      "its bare `node:crypto` equivalent timed in alternating loops (median of 5).",
    "",
    table(
      ["project", "ops/s", "bare equivalent", "ops/s", "ratio"],
      s.map((x) => [
        x.name,
        f0(x.projectOpsPerSecond),
        x.baseline,
        f0(x.baselineOpsPerSecond),
        fx(ratio(x.projectOpsPerSecond, x.baselineOpsPerSecond)),
      ]),
    ),
  ].join("\n");
}
