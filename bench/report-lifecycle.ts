/**
 * The refund lifecycle section: pipeline against the bare baseline, per scenario.
 */
import { ratio } from "./stats.js";
import { f0, f2, find, fx, scenarios, table } from "./report-format.js";
import type { BenchResults } from "./report-types.js";

export function lifecycleSection(r: BenchResults): string {
  const lc = r.lifecycle;
  if (!lc?.length) return "";
  const rows = scenarios(lc).map(([l, c]) => {
    const b = find(lc, "baseline", l, c);
    const p = find(lc, "pipeline", l, c);
    const u = find(lc, "pipeline-fetch", l, c);
    const pr = ratio(p?.refundsPerSecond ?? NaN, b?.refundsPerSecond ?? NaN);
    return [
      `${l} ms`,
      String(c),
      String(b?.rounds[0]?.refunds ?? "–"),
      f0(b?.refundsPerSecond),
      f0(p?.refundsPerSecond),
      `${fx(pr)} ${pr >= 0.8 ? "" : "(short)"}`.trim(),
      u
        ? `${f0(u.refundsPerSecond)} (${fx(ratio(u.refundsPerSecond, b?.refundsPerSecond ?? NaN))})`
        : "–",
      f2(b?.cpuMsPerRefund),
      f2(p?.cpuMsPerRefund),
      fx(ratio(p?.cpuMsPerRefund ?? NaN, b?.cpuMsPerRefund ?? NaN)),
    ];
  });
  const errors = lc.flatMap((s) =>
    s.rounds
      .filter(
        (x) => x.error !== undefined || (x.succeeded !== undefined && x.succeeded !== x.refunds),
      )
      .map(
        (x) =>
          `${s.mode} ${s.latencyMs} ms c=${s.concurrency}: ${x.error ?? `${x.succeeded}/${x.refunds} succeeded`}`,
      ),
  );
  return [
    "## 1. Lifecycle throughput",
    "",
    "Refunds per second from enqueue to final state: the producer (this process) enqueues a " +
      "round of refunds in bulk (chunks of 500); the workers, alone in a child process, carry each " +
      "through one signed POST (order refund) and one signed GET (v2 details) — two jobs — to a final " +
      "state; the clock stops when the last one is final. The sandbox answers from its own child " +
      "process (settlement at once, the given latency added to every request). The first poll runs " +
      "at once (production waits 10 s). Each system's process runs a warm-up round, then the " +
      "systems take turns for the measured rounds; figures are medians. Target: pipeline ≥ 0.8× " +
      "the baseline.",
    "",
    table(
      [
        "latency",
        "concurrency",
        "refunds / round",
        "baseline refunds/s",
        "pipeline refunds/s",
        "ratio",
        "pipeline, client on global fetch (ratio)",
        "baseline CPU ms/refund",
        "pipeline CPU ms/refund",
        "CPU ratio",
      ],
      rows,
    ),
    "",
    "CPU ms/refund is the worker process's user + system CPU over the round divided by the refunds.",
    errors.length > 0
      ? `\nRounds with problems: ${errors.join("; ")}.`
      : "Every pipeline round ended with every record `succeeded`.",
  ].join("\n");
}
