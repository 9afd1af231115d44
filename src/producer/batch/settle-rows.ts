/**
 * Settling each row of a chunk once the producer has answered: the run's counts, the
 * problems reported as they are found, and the journal entry the report reads back. A
 * row that made no refund keeps, in its entry, what it asked for (as given) and why it
 * made none; a row that made one keeps only its id (the report reads the record).
 */
import type { FieldIssue } from "../../domain/errors.js";
import { REFUND_MONEY_FIELDS } from "../../domain/refund-fields.js";
import { FINAL_STATES } from "../../domain/refund-state.js";
import type { BulkEnqueueItem } from "../enqueue-refund.js";
import type { BatchRowProblem, BatchRun } from "./batch-run.js";
import { problemOf, type BadRow, type ValidRow } from "./classify-rows.js";
import type { JournalEntry } from "./journal.js";

/** Error codes of rows that made no refund. */
export const BATCH_ROW_ERROR_CODES = {
  invalid: "INVALID_ROW",
  duplicate: "DUPLICATE_ID",
  conflict: "IDEMPOTENCY_CONFLICT",
} as const;

/** What settling a row updates. */
export interface RunTally {
  /** The run whose counts grow (in place). */
  run: BatchRun;
  /** Other batches counting refunds of this file that are not final yet. */
  elsewhereBatches: Set<string>;
  /** Called for each row problem, in file order. */
  report: (problem: BatchRowProblem) => void;
}

/** Counts and reports a row that makes no refund; returns its journal entry. */
export function settleBadRow(c: BadRow, tally: RunTally): JournalEntry {
  const { run, report } = tally;
  run[c.kind === "invalid" ? "invalid" : "duplicates"] += 1;
  report(problemOf(c));
  const entry: JournalEntry = {
    l: c.line,
    o: c.kind,
    f: shownFields(c.fields),
    c: BATCH_ROW_ERROR_CODES[c.kind],
    m: describeIssues(c.issues),
  };
  const id = c.id ?? shownValue(c.fields["refundRequestId"]);
  if (id !== undefined) entry.id = id;
  return entry;
}

/** Counts and reports a valid row by what enqueuing it did; returns its journal entry. */
export function settleValidRow(
  c: ValidRow,
  result: BulkEnqueueItem | undefined,
  tally: RunTally,
): JournalEntry {
  const { run, report } = tally;
  if (result === undefined) throw new Error(`no enqueue result for line ${c.line}`);
  const entry: JournalEntry = { l: c.line, o: result.outcome, id: c.id };
  switch (result.outcome) {
    case "created":
      run.valid += 1;
      run.created += 1;
      break;
    case "over-refund": {
      run.valid += 1;
      run.created += 1;
      run.overRefunds += 1;
      const field = c.request.kind === "convert" ? "refundOrderAmount" : "refundAmount";
      const message = result.record.lastError?.message ?? "exceeds the order amount";
      report({
        line: c.line,
        kind: "over-refund",
        refundRequestId: c.id,
        issues: [{ path: field, message }],
      });
      break;
    }
    case "existing": {
      run.valid += 1;
      run.existing += 1;
      const r = result.record;
      run.existingByState[r.state] = (run.existingByState[r.state] ?? 0) + 1;
      // Counted in the batch that created it; the wait follows it there.
      if (r.batchId !== run.batchId && !FINAL_STATES.has(r.state)) {
        if (r.batchId === undefined) run.elsewhere.refundRequestIds.push(r.refundRequestId);
        else tally.elsewhereBatches.add(r.batchId);
      }
      break;
    }
    case "conflict": {
      run.valid += 1;
      run.conflicts += 1;
      const issues = [{ path: "refundRequestId", message: result.error.message }];
      report({ line: c.line, kind: "conflict", refundRequestId: c.id, issues });
      entry.f = shownFields(c.request as unknown as Record<string, unknown>);
      entry.c = BATCH_ROW_ERROR_CODES.conflict;
      entry.m = result.error.message;
      break;
    }
    case "invalid": {
      // Validated already; kept for safety should the producer's rules be stricter.
      run.invalid += 1;
      const issues = [...result.error.issues];
      report({ line: c.line, kind: "invalid", refundRequestId: c.id, issues });
      entry.f = shownFields(c.request as unknown as Record<string, unknown>);
      entry.c = BATCH_ROW_ERROR_CODES.invalid;
      entry.m = describeIssues(issues);
      break;
    }
  }
  return entry;
}

/** The requested fields of a row that made no refund, as given (strings, cut to 64). */
function shownFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of REFUND_MONEY_FIELDS) {
    const v = shownValue(fields[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function shownValue(v: unknown): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") return undefined;
  const s = String(v);
  return s.length > 64 ? `${s.slice(0, 63)}…` : s;
}

function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ");
}
