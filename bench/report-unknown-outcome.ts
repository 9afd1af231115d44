/** The "Unknown outcomes" section of BENCHMARKS.md (bench/unknown-outcome.ts; issue 14). */
import { verdict } from "./report-format.js";
import type { UnknownOutcomeResult } from "./unknown-outcome.js";

const s = (ms: number | undefined): string =>
  ms !== undefined && Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "–";

/** The target: unknown outcome → final state, p99 under 45 s. */
export const UNKNOWN_TO_FINAL_P99_MS = 45_000;

export function renderUnknownOutcome(u: UnknownOutcomeResult | undefined): string[] {
  if (!u) return [];
  const states = Object.entries(u.states ?? {})
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return [
    "",
    "### Unknown outcomes, resolved",
    "",
    `A batch of ${u.refunds} refunds through the pipeline with the default settings (request ` +
      `timeout ${s(u.timeoutMs)}, \`GATEPAY_LOOKUP_GRACE_MS\` ${s(u.lookupGraceMs)}, first poll ` +
      "10 s after acceptance) while the sandbox answers every GatePay request (creations, " +
      "lookups, polls) with 10 % HTTP 500 (300000), 5 % dropped connections (half before, half " +
      "after recording the refund) and 2 % late answers (after 30 s). Measured per refund that " +
      "met an unknown outcome, from its first one: to the record's final state (the target), " +
      "and to GatePay being known to hold the refund (accepted on a re-send, or found by a " +
      "lookup). Baseline: the same batch through the same pipeline without faults, in the same " +
      "run. The sandbox's ledger is checked for any refund created twice " +
      "(`bench/unknown-outcome.ts`).",
    "",
    "| refunds with an unknown outcome | → final p50 | → final p99 (target < 45 s) | → final max | → accepted p50 | → accepted p99 | batch, all final | fault-free batch | created twice |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    `| ${u.unknownRefunds} of ${u.refunds} | ${s(u.finalP50Ms)} | ${s(u.finalP99Ms)} ` +
      `(${verdict(u.finalP99Ms, UNKNOWN_TO_FINAL_P99_MS, false, s)}) | ${s(u.finalMaxMs)} | ` +
      `${s(u.p50Ms)} | ${s(u.p99Ms)} | ${s(u.batchMs)} | ${s(u.baselineBatchMs)} | ${u.duplicates} |`,
    "",
    `Final states of the faulty batch: ${states || "–"}. Before \`GATEPAY_LOOKUP_GRACE_MS\` the ` +
      "grace was a fixed 30 s after the send plus the timeout, twice, about 70 s per unknown " +
      "outcome. With few refunds meeting an unknown outcome, p99 is close to the maximum.",
  ];
}
