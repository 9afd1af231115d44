/**
 * Classifying the rows of a batch file, in file order, before anything is stored: each
 * row is valid, invalid (with every problem by field) or a repeat of an id on an earlier
 * line. Pure but for the duplicate index the caller keeps across the file.
 */
import { ValidationError, type FieldIssue } from "../../domain/errors.js";
import type { RefundRequestFields } from "../../domain/refund-record.js";
import { parseRefundRequest, REFUND_REQUEST_ID_PATTERN } from "../../domain/refund-request.js";
import type { BatchRow } from "./batch-row.js";
import type { BatchRowProblem } from "./batch-run.js";

/** A row that passed validation, its id first seen here: it goes to the producer. */
export interface ValidRow {
  kind: "valid";
  line: number;
  id: string;
  request: RefundRequestFields;
}

/** A row that makes no refund: it failed validation, or its id is on an earlier line. */
export interface BadRow {
  kind: "invalid" | "duplicate";
  line: number;
  id: string | undefined;
  issues: FieldIssue[];
  fields: Record<string, unknown>;
  duplicateOfLine?: number;
}

/** A row of the file, classified before anything is stored. */
export type ClassifiedRow = ValidRow | BadRow;

/**
 * Validates `row`: valid, invalid, or a duplicate of an earlier line (which wins even over
 * invalid, the line it repeats being named). `id` is {@link usableIdOf} the row and
 * `firstLine` the earlier line holding it, if any (the caller's duplicate index says).
 */
export function classifyRow(
  row: BatchRow,
  id: string | undefined,
  firstLine: number | undefined,
): ClassifiedRow {
  let issues = row.issues ?? [];
  let request: RefundRequestFields | undefined;
  if (issues.length === 0) {
    try {
      request = parseRefundRequest(row.fields);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      issues = [...err.issues];
    }
  }
  if (firstLine !== undefined) {
    const issue = { path: "refundRequestId", message: `"${id}" is already on line ${firstLine}` };
    return {
      kind: "duplicate",
      line: row.line,
      id,
      issues: [issue, ...issues],
      fields: row.fields,
      duplicateOfLine: firstLine,
    };
  }
  if (request === undefined || id === undefined) {
    return { kind: "invalid", line: row.line, id, issues, fields: row.fields };
  }
  return { kind: "valid", line: row.line, id, request };
}

/** The row's refundRequestId when it is one (else undefined): what the duplicate check keys on. */
export function usableIdOf(row: BatchRow): string | undefined {
  const rawId = row.fields["refundRequestId"];
  return typeof rawId === "string" && REFUND_REQUEST_ID_PATTERN.test(rawId) ? rawId : undefined;
}

/** The problem to tell the operator about a bad row. */
export function problemOf(c: BadRow): BatchRowProblem {
  const problem: BatchRowProblem = { line: c.line, kind: c.kind, issues: c.issues };
  if (c.id !== undefined) problem.refundRequestId = c.id;
  if (c.duplicateOfLine !== undefined) problem.duplicateOfLine = c.duplicateOfLine;
  return problem;
}
