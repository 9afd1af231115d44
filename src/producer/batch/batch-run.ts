/**
 * What a batch run is: the outcome of each row, the problems worth telling the operator,
 * the options of a run and its result. Types and defaults only; the run itself is
 * run-batch.ts.
 */
import type { BatchFileFormat, BatchRowCounts } from "../../domain/batch.js";
import type { FieldIssue } from "../../domain/errors.js";
import type { RefundState } from "../../domain/refund-state.js";

export type { BatchRowCounts } from "../../domain/batch.js";

/** Valid rows per Redis round trip, and records per round trip when reading them back. */
export const DEFAULT_BATCH_CHUNK_SIZE = 500;

/** What became of one input row when it was enqueued. */
export type BatchRowOutcome =
  /** A new refund was stored and queued. */
  | "created"
  /** The refund already existed with the same request (a re-run): nothing new. */
  | "existing"
  /** Stored as `rejected` / `OVER_REFUND` by the over-refund guard; nothing sent. */
  | "over-refund"
  /** The refundRequestId belongs to a different refund: refused, nothing changed. */
  | "conflict"
  /** The row failed validation: nothing stored. */
  | "invalid"
  /** The refundRequestId is on an earlier line of the same file: nothing stored. */
  | "duplicate";

/** A row problem worth telling the operator about as soon as it is found. */
export interface BatchRowProblem {
  /** 1-based physical line the row starts on. */
  line: number;
  kind: "invalid" | "duplicate" | "conflict" | "over-refund";
  /** The row's refundRequestId when it has a usable one. */
  refundRequestId?: string;
  /** Every problem, by field (`path` "" for the row as a whole). */
  issues: FieldIssue[];
  /** For `duplicate`: the line the id was first seen on. */
  duplicateOfLine?: number;
}

/** Options of {@link runBatch}. */
export interface RunBatchOptions {
  /** Batch id: 1-64 of `[A-Za-z0-9_.-]`; default generated (`20261003-142501-3f9a1c`). */
  batchId?: string;
  /** Refuse the whole file when any row is bad (two passes over the file); default false. */
  strict?: boolean;
  /** File format; default from the extension (`.csv`, `.jsonl`, `.ndjson`). */
  format?: BatchFileFormat;
  /** Valid rows per Redis round trip; default 500. */
  chunkSize?: number;
  /** How many problems {@link BatchRun.problems} keeps; default 100 (all are reported). */
  maxListedProblems?: number;
  /** Called for every row problem, in file order, as soon as it is found. */
  onProblem?: (problem: BatchRowProblem) => void;
  /** Called after each chunk is enqueued: rows read so far. */
  onRowsRead?: (rowsRead: number) => void;
  /** Directory of the journal file; default the OS temporary directory. */
  journalDir?: string;
}

/** The result of {@link runBatch}: what the run did, and what {@link waitForBatch} needs. */
export interface BatchRun extends BatchRowCounts {
  batchId: string;
  /** Absolute path of the file. */
  file: string;
  format: BatchFileFormat;
  strict: boolean;
  /** Existing rows by the state their refund was in when the run found it. */
  existingByState: Partial<Record<RefundState, number>>;
  /** The first `maxListedProblems` problems, in file order. */
  problems: BatchRowProblem[];
  /**
   * Rows of this file whose refunds exist from before outside this batch and were not
   * final yet: {@link waitForBatch} waits for them too.
   */
  elsewhere: { batchIds: string[]; refundRequestIds: string[] };
  /** The journal: one JSON line per input row (deleted by {@link BatchRun.dispose}). */
  journalPath: string;
  /** Deletes the journal. The batch itself (refunds, counts, metadata) stays. */
  dispose(): Promise<void>;
}
