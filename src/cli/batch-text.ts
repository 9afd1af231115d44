/**
 * The batch commands' text: what a run did, the outcome by state, a batch's status, one
 * row problem, and the figures and lists they are made of.
 */
import { REFUND_STATES } from "../domain/refund-state.js";
import type {
  BatchInfo,
  BatchProgress,
  BatchRowProblem,
  BatchRun,
  BatchSummary,
} from "../producer/batch/index.js";

/** A count with thousands separators. */
export function n(value: number): string {
  return value.toLocaleString("en-US");
}

/** A duration in seconds, one decimal. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `state count` for each of `states` with a count, in that order. */
export function stateList(
  counts: Partial<Record<string, number>>,
  states: readonly string[],
): string {
  return states
    .filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${s} ${n(counts[s] ?? 0)}`)
    .join(", ");
}

/** One row problem as a line: where, which id, what. */
export function formatProblem(p: BatchRowProblem): string {
  const id = p.refundRequestId === undefined ? "" : ` (${p.refundRequestId})`;
  const what =
    p.kind === "over-refund"
      ? "rejected, over-refund: "
      : p.kind === "conflict"
        ? "id reused: "
        : "";
  const issues = p.issues
    .map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`))
    .join("; ");
  return `line ${p.line}${id}: ${what}${issues}`;
}

/** What a run did with the file's rows. */
export function describeRun(run: BatchRun): string {
  const known = stateList(run.existingByState, REFUND_STATES);
  const lines = [
    `batch ${run.batchId}: ${n(run.rows)} row(s) from ${run.file}`,
    `  valid ${n(run.valid)}: created ${n(run.created)}, already known ${n(run.existing)}` +
      (known === "" ? "" : ` (${known})`) +
      (run.conflicts > 0 ? `, id reused ${n(run.conflicts)}` : "") +
      (run.overRefunds > 0 ? `, over-refund ${n(run.overRefunds)}` : ""),
    `  invalid ${n(run.invalid)}, duplicates ${n(run.duplicates)}`,
  ];
  return lines.join("\n");
}

/** The outcome of every row, by state. */
export function describeSummary(
  summary: BatchSummary,
  progress: BatchProgress | undefined,
  report: string | undefined,
): string {
  const states = stateList(summary.byState, [...REFUND_STATES, "invalid", "unknown"]);
  const head =
    progress === undefined
      ? "now"
      : progress.done
        ? `all final after ${seconds(progress.elapsedMs)}`
        : `not all final after ${seconds(progress.elapsedMs)}`;
  const lines = [`${head}: ${n(summary.rows)} row(s): ${states === "" ? "none" : states}`];
  if (report !== undefined) lines.push(`report: ${report}`);
  return lines.join("\n");
}

/** A batch's file, runs, row counts and refunds by state. */
export function describeBatch(info: BatchInfo): string {
  const lines = [`batch ${info.batchId}`];
  const m = info.meta;
  if (m !== null) {
    lines.push(
      `  file      ${m.file} (${m.format})`,
      `  created   ${m.createdAt}; runs ${m.runs}, last ${m.lastRunAt}`,
      `  status    ${m.status}${m.error === undefined ? "" : `: ${m.error}`}`,
      `  rows      ${n(m.status === "enqueued" ? m.rows : m.rowsRead)}: valid ${n(m.valid)} ` +
        `(created ${n(m.created)}, already known ${n(m.existing)}), invalid ${n(m.invalid)}, ` +
        `duplicates ${n(m.duplicates)}`,
    );
  }
  const states = stateList(info.counts, REFUND_STATES);
  lines.push(
    `  refunds   ${n(info.total)}, final ${n(info.final)}${states === "" ? "" : `: ${states}`}`,
  );
  return lines.join("\n");
}
