/**
 * Bulk refund batches from a file: validate every row, enqueue the valid ones in chunks
 * under one batch id, wait until every row is final, and report the outcome of every row.
 *
 * ```ts
 * const run = await runBatch(producer, "refunds.csv", { onProblem: (p) => log(p) });
 * try {
 *   await waitForBatch(producer, run, { onProgress: (p) => draw(p) });
 *   const summary = await writeBatchReport(producer, run, "report.csv");
 * } finally {
 *   await run.dispose();
 * }
 * ```
 *
 * Memory stays flat in the file's length: rows stream from the file (batch-file.ts) and
 * go to Redis a chunk at a time; what each row became is written to a journal file (one
 * JSON line per input row) that the report streams back; repeated ids are found with a
 * `DuplicateIdIndex` of a fixed size (a Bloom filter, and the repeated ids exactly).
 *
 * Safe to re-run: the refundRequestId is the idempotency key (DESIGN.md), so a row whose
 * refund already exists creates nothing and is reported as `existing` with its current
 * state. Batch counters count a refund once, in the batch that created it, so a re-run
 * (same batch id or another) never counts a row twice.
 *
 * This module is the public face; the parts live beside it: batch files are read by
 * read-batch-file.ts (read-csv.ts, read-jsonl.ts, line-blocks.ts, duplicate-id-index.ts); classify-rows.ts (validation
 * and repeated ids), run-batch.ts (the chunked run), settle-rows.ts and journal.ts (what
 * each row became), wait-for-batch.ts, batch-info.ts (with the metadata in
 * store/batch-store.ts), report-rows.ts and batch-report.ts.
 */
export type { BatchMeta } from "../../store/batch-store.js";
export { generateBatchId } from "./batch-id.js";
export { checkReportPath } from "./report-path.js";
export { getBatchInfo, type BatchInfo } from "./batch-info.js";
export { BatchRefusedError } from "./batch-refused-error.js";
export {
  batchReportFormat,
  summarizeBatch,
  writeBatchReport,
  type BatchReportFormat,
  type BatchSummary,
} from "./batch-report.js";
export type {
  BatchRowCounts,
  BatchRowOutcome,
  BatchRowProblem,
  BatchRun,
  RunBatchOptions,
} from "./batch-run.js";
export { BATCH_REPORT_COLUMNS, type BatchReportRow, type BatchRowState } from "./report-rows.js";
export { runBatch } from "./run-batch.js";
export { BATCH_ROW_ERROR_CODES } from "./settle-rows.js";
export { waitForBatch, type BatchProgress, type WaitForBatchOptions } from "./wait-for-batch.js";
export type { BatchFileFormat } from "../../domain/batch.js";
export { BatchFileError, type BatchFileErrorCode } from "./batch-file-error.js";
export { BATCH_COLUMNS, REQUIRED_BATCH_COLUMNS, type BatchRow } from "./batch-row.js";
export { DuplicateIdIndex } from "./duplicate-id-index.js";
export { MAX_BATCH_LINE_BYTES } from "./line-blocks.js";
export {
  batchFileFormat,
  readBatchFile,
  readBatchRows,
  type ReadBatchOptions,
} from "./read-batch-file.js";
