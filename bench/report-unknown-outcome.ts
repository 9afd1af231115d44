/** The "Unknown outcomes" section of BENCHMARKS.md (bench/unknown-outcome.ts). */
import type { UnknownOutcomeResult } from "./unknown-outcome.js";

const s = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "—");

export function renderUnknownOutcome(u: UnknownOutcomeResult | undefined): string[] {
  if (!u) return [];
  return [
    "",
    "### Unknown outcomes, resolved",
    "",
    `A batch of ${u.refunds} refunds through the pipeline with the default settings (request ` +
      `timeout ${s(u.timeoutMs)}, \`GATEPAY_LOOKUP_GRACE_MS\` ${s(u.lookupGraceMs)}) while the ` +
      "sandbox answers every GatePay request (creations, lookups, polls) with 10 % HTTP 500 " +
      "(300000), 5 % dropped connections (half before, half after recording the refund) and 2 % " +
      "late answers (after 30 s). Measured per refund that met an unknown outcome: from its first " +
      "one to GatePay being known to hold the refund (accepted on a re-send, or found by a " +
      "lookup, possibly already settled). The final state then follows on the poll and webhook schedule. Baseline: " +
      "the same batch through the same pipeline without faults, in the same run " +
      "(`bench/unknown-outcome.ts`).",
    "",
    "| refunds with an unknown outcome | p50 | p99 | max | batch, all accepted | fault-free batch | created twice |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    `| ${u.unknownRefunds} of ${u.refunds} | ${s(u.p50Ms)} | ${s(u.p99Ms)} | ${s(u.maxMs)} | ` +
      `${s(u.batchMs)} | ${s(u.baselineBatchMs)} | ${u.duplicates} |`,
    "",
    "Target: p99 under 45 s. Before `GATEPAY_LOOKUP_GRACE_MS` the grace was a fixed 30 s after " +
      "the send plus the timeout, twice, about 70 s per unknown outcome.",
  ];
}
