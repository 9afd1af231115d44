/**
 * One row of a batch file, and the columns a file may have: DESIGN.md's batch columns,
 * which are the fields of a refund request (domain/refund-fields.ts), validated by
 * `parseRefundRequest`. An empty cell is an absent field.
 */
import type { FieldIssue } from "../../domain/errors.js";
import { REFUND_REQUEST_FIELDS } from "../../domain/refund-fields.js";

/** The columns a batch file may have (DESIGN.md "Batch file columns", plus `orderAmount`). */
export const BATCH_COLUMNS = REFUND_REQUEST_FIELDS;

/** Columns every CSV header must have: without them no row can be valid. */
export const REQUIRED_BATCH_COLUMNS = [
  "refundRequestId",
  "prepayId",
] as const satisfies readonly (typeof BATCH_COLUMNS)[number][];

/** One row of a batch file. */
export interface BatchRow {
  /** 1-based physical line the row starts on. */
  line: number;
  /**
   * The row's fields: column → cell (CSV, always strings; empty cells included) or the
   * JSONL object as parsed. Validate with `parseRefundRequest`.
   */
  fields: Record<string, unknown>;
  /** Set when the row cannot be a refund whatever its fields say (bad JSON, extra cells). */
  issues?: FieldIssue[];
}
