/** The "Unknown outcomes" section of BENCHMARKS.md (bench/unknown-outcome.ts; issue 14). */
import { verdict } from "./report-format.js";
import type { UnknownOutcomeResult, UnknownOutcomeVariant } from "./unknown-outcome.js";

const s = (ms: number | undefined): string =>
  ms !== undefined && Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "–";

/** The target: unknown outcome → final state, p99 under 45 s. */
export const UNKNOWN_TO_FINAL_P99_MS = 45_000;

/** Labels of the two faulty batches, as the report and the summary name them. */
export const NOTIFIED_LABEL = "notifications delivered (production default)";
export const POLLS_ONLY_LABEL = "polls only (every notification lost)";

const states = (v: UnknownOutcomeVariant): string =>
  Object.entries(v.states ?? {})
    .map(([k, n]) => `${n} ${k}`)
    .join(", ") || "–";

function row(label: string, v: UnknownOutcomeVariant, refunds: number): string {
  return (
    `| ${label} | ${v.unknownRefunds} of ${refunds} | ${s(v.finalP50Ms)} | ${s(v.finalP99Ms)} ` +
    `(${verdict(v.finalP99Ms, UNKNOWN_TO_FINAL_P99_MS, false, s)}) | ${s(v.finalMaxMs)} | ` +
    `${s(v.p50Ms)} | ${s(v.p99Ms)} | ${s(v.batchMs)} | ${v.duplicates} | ${states(v)} |`
  );
}

/** False for a result saved before the two batches (BENCH_FROM_JSON of an older run). */
export function hasBothBatches(u: UnknownOutcomeResult | undefined): u is UnknownOutcomeResult {
  const x = u as Partial<UnknownOutcomeResult> | undefined;
  return x?.notified !== undefined && x.pollsOnly !== undefined;
}

export function renderUnknownOutcome(u: UnknownOutcomeResult | undefined): string[] {
  if (!hasBothBatches(u)) return [];
  return [
    "",
    "### Unknown outcomes, resolved",
    "",
    `Batches of ${u.refunds} refunds through the pipeline with the default settings (request ` +
      `timeout ${s(u.timeoutMs)}, \`GATEPAY_LOOKUP_GRACE_MS\` ${s(u.lookupGraceMs)}, first poll ` +
      "10 s after acceptance when no notification arrived) while the sandbox answers every " +
      "GatePay request (creations, lookups, polls) with 10 % HTTP 500 (300000), 5 % dropped " +
      "connections (half before, half after recording the refund) and 2 % late answers (after " +
      "30 s). The same faulty batch runs twice in this run: as `gatepay-refunds worker` runs by " +
      "default (workers plus the HTTP server with `POST /webhooks/gatepay`, wired as the `worker` " +
      "command wires them; the sandbox delivers its signed PAY_REFUND notifications there on " +
      "GatePay's default retry schedule), and with the workers alone, so that every " +
      "notification is lost and only polls finish refunds. The sandbox's faults apply to the " +
      "GatePay requests it answers, not to the notifications it delivers. Measured per refund " +
      "that met an unknown outcome, from its first one: to the record's final state (the " +
      "target), and to GatePay being known to hold the refund (accepted on a re-send, or found " +
      "by a lookup). The sandbox's ledger is checked for any refund created twice " +
      "(`bench/unknown-outcome.ts`).",
    "",
    "| batch | refunds with an unknown outcome | → final p50 | → final p99 (target < 45 s) | → final max | → accepted p50 | → accepted p99 | batch, all final | created twice | final states |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    row(NOTIFIED_LABEL, u.notified, u.refunds),
    row(POLLS_ONLY_LABEL, u.pollsOnly, u.refunds),
    "",
    `Fault-free baseline (same batch, workers alone, no faults): all final in ${s(u.baselineBatchMs)}. ` +
      "Before `GATEPAY_LOOKUP_GRACE_MS` the grace was a fixed 30 s after the send plus the " +
      "timeout, twice, about 70 s per unknown outcome. With few refunds meeting an unknown " +
      "outcome, p99 is close to the maximum.",
  ];
}
