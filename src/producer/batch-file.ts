/**
 * Batch files, the public face: a streaming reader of CSV or JSONL refund rows
 * (batch/read-batch-file.ts, over batch/read-csv.ts and batch/read-jsonl.ts, both over
 * the UTF-8-checked lines of batch/line-blocks.ts), and a compact index that finds
 * refundRequestIds repeated inside one file (batch/duplicate-id-index.ts).
 */
export type { BatchFileFormat } from "../domain/batch.js";
export { BatchFileError, type BatchFileErrorCode } from "./batch/batch-file-error.js";
export { BATCH_COLUMNS, REQUIRED_BATCH_COLUMNS, type BatchRow } from "./batch/batch-row.js";
export { DuplicateIdIndex } from "./batch/duplicate-id-index.js";
export { MAX_BATCH_LINE_BYTES } from "./batch/line-blocks.js";
export {
  batchFileFormat,
  readBatchFile,
  readBatchRows,
  type ReadBatchOptions,
} from "./batch/read-batch-file.js";
