/** The "Recovery after a worker crash" section of BENCHMARKS.md (bench/recovery.ts). */
import { recoveryPercentiles, type HeldState, type RecoveryMeasure } from "./recovery.js";

const s1 = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : "–");

const STATES: HeldState[] = [
  "queued (job active)",
  "lease, no POST",
  "POST sent, answer lost",
  "accepted, submit job finishing",
  "poll job active",
];

/** Markdown for the recovery measures; "" when the section did not run. */
export function recoverySection(measures: RecoveryMeasure[] | undefined): string {
  if (!measures || measures.length === 0) return "";
  const lines = [
    "## Recovery after a worker crash",
    "",
    "Two worker processes (`bench/recovery-child.ts`, the shipped `startRefundWorkers`, " +
      "concurrency 20 each) share a steady stream of refunds; one is SIGKILLed while it holds " +
      "at least 3 jobs, then replaced. Measured from the SIGKILL until every refund the dead " +
      "process held was picked up again (its BullMQ job run again by the other process), over " +
      "every kill, for the old defaults and the new ones in the same run " +
      '(README, "Recovery after a crash"). A refund in `POST sent, answer lost` is picked up ' +
      "within that time; its look-up then waits for the send plus the timeout plus the grace " +
      "period by design.",
    "",
    "| BullMQ timing | lock / stalled check | kills | held refunds | per kill p50 | per kill p99 (max) | not picked up |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const m of measures) {
    const k = recoveryPercentiles(m.perKillMs);
    lines.push(
      `| ${m.label} | ${s1(m.lockDurationMs)} s / ${s1(m.stalledIntervalMs)} s | ${m.kills} | ${m.held} | ` +
        `${s1(k.p50)} s | ${s1(k.p99)} s (${s1(k.max)} s) | ${m.notPickedUp} |`,
    );
  }
  lines.push(
    "",
    "By the state each refund was in at the kill (seconds to pick-up, p50 / p99, count):",
    "",
    `| state | ${measures.map((m) => m.label).join(" | ")} |`,
    `| --- | ${measures.map(() => "---").join(" | ")} |`,
  );
  for (const st of STATES) {
    const cells = measures.map((m) => {
      const v = m.byState[st] ?? [];
      if (v.length === 0) return "–";
      const p = recoveryPercentiles(v);
      return `${s1(p.p50)} / ${s1(p.p99)} (${v.length})`;
    });
    lines.push(`| ${st} | ${cells.join(" | ")} |`);
  }
  lines.push(
    "",
    "Throughput around a kill: refunds reaching a final state per second in the window " +
      "before each kill and in the same window after it (all kills together; the feed is " +
      "steady, so the surviving process absorbs new work and the dip is the held refunds), " +
      "and the refund-seconds the held refunds stood still (the sum of their pick-up times):",
    "",
    "| BullMQ timing | window | finals/s before | finals/s after | after / before | refund-seconds frozen per kill |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  for (const m of measures) {
    const r = m.ratePerSBefore > 0 ? m.ratePerSAfter / m.ratePerSBefore : Number.NaN;
    const frozenMs = Object.values(m.byState).reduce(
      (sum, v) => sum + v.reduce((a, b) => a + b, 0),
      0,
    );
    lines.push(
      `| ${m.label} | ${s1(m.windowMs)} s | ${m.ratePerSBefore.toFixed(1)} | ${m.ratePerSAfter.toFixed(1)} | ${Number.isFinite(r) ? r.toFixed(2) : "–"} | ${m.kills > 0 ? Math.round(frozenMs / 1000 / m.kills) : "–"} |`,
    );
  }
  return lines.join("\n");
}
