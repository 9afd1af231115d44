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
 * {@link DuplicateIdIndex} of about 24 bytes per row rather than a set of strings.
 *
 * Safe to re-run: the refundRequestId is the idempotency key (DESIGN.md), so a row whose
 * refund already exists creates nothing and is reported as `existing` with its current
 * state. Batch counters count a refund once, in the batch that created it, so a re-run
 * (same batch id or another) never counts a row twice.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { finished } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { ValidationError, type FieldIssue } from "../domain/errors.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";
import { parseRefundRequest, REFUND_REQUEST_ID_PATTERN } from "../domain/refund-request.js";
import { FINAL_STATES, type RefundState } from "../domain/refund-state.js";
import type { BatchCounts } from "../store/refund-store.js";
import {
  BatchFileError,
  batchFileFormat,
  DuplicateIdIndex,
  readBatchFile,
  type BatchFileFormat,
  type BatchRow,
} from "./batch-file.js";
import type { BulkEnqueueItem, RefundProducer } from "./enqueue-refund.js";

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

/** Row counts of one run over a file. */
export interface BatchRowCounts {
  /** Rows read (blank lines not counted). */
  rows: number;
  /** Rows that passed validation and were not repeats of an earlier row. */
  valid: number;
  /** Rows that failed validation. */
  invalid: number;
  /** Rows whose refundRequestId is on an earlier line. */
  duplicates: number;
  /** Valid rows that created a refund (over-refunds included). */
  created: number;
  /** Valid rows whose refund already existed. */
  existing: number;
  /** Valid rows whose id belongs to a different refund. */
  conflicts: number;
  /** Valid rows refused by the over-refund guard (counted in `created` too). */
  overRefunds: number;
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

/** The whole file was refused (`strict`): nothing was stored. */
export class BatchRefusedError extends Error {
  override readonly name = "BatchRefusedError";

  constructor(
    readonly counts: Pick<BatchRowCounts, "rows" | "valid" | "invalid" | "duplicates">,
    /** The first problems, in file order. */
    readonly problems: readonly BatchRowProblem[],
  ) {
    super(
      `refused the whole file (strict): ${counts.invalid} invalid and ${counts.duplicates} ` +
        `duplicate row(s) of ${counts.rows}; nothing was enqueued`,
    );
  }
}

/** A batch's metadata (`<prefix>:batch:<id>:meta`). Row counts are those of its last run. */
export interface BatchMeta extends BatchRowCounts {
  /** The file's absolute path, as its last run read it. */
  file: string;
  format: BatchFileFormat;
  /** ISO-8601 time of the batch's first run. */
  createdAt: string;
  /** ISO-8601 time of the last run's start. */
  lastRunAt: string;
  /** Runs over this batch id (a re-run with the same id adds one). */
  runs: number;
  /** `enqueuing` while the last run reads the file, `interrupted` if it stopped early. */
  status: "enqueuing" | "enqueued" | "interrupted";
  /** Rows the last run had read (grows while `enqueuing`). */
  rowsRead: number;
  /** Why the last run stopped, when `interrupted`. */
  error?: string;
}

/** A batch's metadata and its refunds' counts by state. */
export interface BatchInfo {
  batchId: string;
  meta: BatchMeta | null;
  /** Counts by state of the refunds this batch created, plus `total`. */
  counts: BatchCounts;
  /** Refunds this batch created (`counts.total`). */
  total: number;
  /** Of them, those in a final state. */
  final: number;
}

const DEFAULT_CHUNK_SIZE = 500;
const DEFAULT_MAX_LISTED = 100;

/**
 * Reads `file`, validates every row, and enqueues the valid ones under one batch id. By
 * default valid rows go ahead and every bad row is reported (`onProblem`, `problems`,
 * the journal); with `strict` a first pass validates the whole file and a bad row
 * refuses it all ({@link BatchRefusedError}) before anything is stored.
 *
 * @throws ValidationError for a bad batch id; BatchFileError when the file cannot be read
 *   as a whole (rows before the problem are enqueued unless `strict`, and the batch
 *   metadata says `interrupted`); BatchRefusedError (`strict`).
 */
export async function runBatch(
  producer: RefundProducer,
  file: string,
  options: RunBatchOptions = {},
): Promise<BatchRun> {
  const path = resolve(file);
  const format = options.format ?? batchFileFormat(path);
  const batchId = options.batchId ?? generateBatchId();
  // The producer owns the batch id rule: an empty bulk enqueue checks it and does nothing.
  await producer.enqueueBulk([], { batchId });
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const maxListed = options.maxListedProblems ?? DEFAULT_MAX_LISTED;
  const strict = options.strict === true;
  const index = new DuplicateIdIndex();

  const before = await fileStamp(path);
  if (strict) {
    const counts = { rows: 0, valid: 0, invalid: 0, duplicates: 0 };
    const problems: BatchRowProblem[] = [];
    for await (const row of readBatchFile(path, { format })) {
      const c = classifyRow(row, index);
      counts.rows += 1;
      if (c.kind === "valid") {
        counts.valid += 1;
        continue;
      }
      counts[c.kind === "invalid" ? "invalid" : "duplicates"] += 1;
      const problem = problemOf(c);
      options.onProblem?.(problem);
      if (problems.length < maxListed) problems.push(problem);
    }
    if (counts.invalid + counts.duplicates > 0) throw new BatchRefusedError(counts, problems);
    // The second pass must read what the first one checked.
    const after = await fileStamp(path);
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      throw new BatchFileError("io", `"${path}" changed while it was being validated: run again`);
    }
    index.clear();
  }

  const journalDir = await mkdtemp(join(options.journalDir ?? tmpdir(), "gatepay-batch-"));
  const journalPath = join(journalDir, "journal.jsonl");
  const journal = createWriteStream(journalPath, { encoding: "utf8" });
  // Errors surface through writeText and finished(); a listener keeps one from crashing
  // the process while nothing waits on the stream.
  journal.on("error", () => undefined);
  const dispose = async () => {
    if (!journal.closed) journal.destroy();
    await rm(journalDir, { recursive: true, force: true });
  };
  const meta = batchMetaWriter(producer, batchId);
  const run: BatchRun = {
    batchId,
    file: path,
    format,
    strict,
    ...emptyCounts(),
    existingByState: {},
    problems: [],
    elsewhere: { batchIds: [], refundRequestIds: [] },
    journalPath,
    dispose,
  };
  const elsewhereBatches = new Set<string>();
  const report = (problem: BatchRowProblem) => {
    options.onProblem?.(problem);
    if (run.problems.length < maxListed) run.problems.push(problem);
  };

  let chunk: ClassifiedRow[] = [];
  let validInChunk = 0;
  // The metadata is written with the first chunk: a file refused at its header leaves
  // no batch behind.
  let metaStarted = false;
  const flush = async () => {
    if (!metaStarted) {
      await meta.start(path, format);
      metaStarted = true;
    }
    const valid = chunk.filter((c): c is ValidRow => c.kind === "valid");
    const results =
      valid.length === 0
        ? []
        : await producer.enqueueBulk(
            valid.map((c) => c.request),
            { batchId, chunkSize },
          );
    let v = 0;
    let text = "";
    for (const c of chunk) {
      const entry =
        c.kind === "valid"
          ? settleValidRow(c, results[v++], run, batchId, elsewhereBatches, report)
          : settleBadRow(c, run, report);
      text += `${JSON.stringify(entry)}\n`;
    }
    chunk = [];
    validInChunk = 0;
    await writeText(journal, text);
    await meta.progress(run.rows);
    options.onRowsRead?.(run.rows);
  };

  try {
    for await (const row of readBatchFile(path, { format })) {
      const c = classifyRow(row, index);
      run.rows += 1;
      chunk.push(c);
      if (c.kind === "valid") validInChunk += 1;
      // Bad rows cost no Redis work, but bound the chunk so memory stays flat anyway.
      if (validInChunk >= chunkSize || chunk.length >= chunkSize * 4) await flush();
    }
    await flush();
    journal.end();
    await finished(journal);
    await meta.finish(run);
  } catch (err) {
    // Without strict, every valid row before an unreadable part goes ahead, wherever the
    // chunk boundaries fall; a re-run of the fixed file then finds them as existing.
    if (!strict && err instanceof BatchFileError && chunk.length > 0) {
      await flush().catch(() => undefined);
    }
    await dispose();
    if (metaStarted) {
      const reason = err instanceof Error ? err.message : String(err);
      await meta.interrupted(run, reason).catch(() => undefined);
    }
    throw err;
  }
  run.elsewhere.batchIds = [...elsewhereBatches];
  return run;
}

/** Metadata and counts of a batch; null when there is no such batch. */
export async function getBatchInfo(
  producer: RefundProducer,
  batchId: string,
): Promise<BatchInfo | null> {
  const redis = producer.store.redis;
  const [raw, counts] = await Promise.all([
    redis.hgetall(producer.store.keys.batchMeta(batchId)),
    producer.getBatch(batchId),
  ]);
  const meta = Object.keys(raw).length === 0 ? null : parseMeta(raw);
  if (meta === null && Object.keys(counts).length === 0) return null;
  return { batchId, meta, counts, total: counts.total ?? 0, final: finalCount(counts) };
}

// ---------------------------------------------------------------------------------------
// Waiting

/** Where a batch stands, as {@link waitForBatch} sees it. */
export interface BatchProgress {
  batchId: string;
  /** Counts by state of the refunds this batch created, plus `total`. */
  counts: BatchCounts;
  /** Refunds this batch created. */
  total: number;
  /** Of them, those in a final state. */
  final: number;
  /**
   * Refunds not final yet among the rows of the file that exist from before outside this
   * batch (counted by their own batches, which may hold more than this file's rows).
   */
  elsewherePending: number;
  /** True when every refund the wait covers is final. */
  done: boolean;
  /** Time since the wait began, ms. */
  elapsedMs: number;
}

/** Options of {@link waitForBatch}. */
export interface WaitForBatchOptions {
  /** Time between two looks at the counts, ms; default 500. */
  intervalMs?: number;
  /** Give up after this long, ms (the result then has `done: false`); default never. */
  timeoutMs?: number;
  /** Stops the wait early (the result then has `done: false`). */
  signal?: AbortSignal;
  /** Called after every look, the last one included. */
  onProgress?: (progress: BatchProgress) => void;
}

/**
 * Waits until every refund of a batch is final (DESIGN.md's final states: succeeded,
 * failed, rejected, dead, stuck). Each look reads the batch's counts hash, kept current
 * by every transition, so it costs one Redis call however large the batch; refunds of
 * the run's file that belong to other batches are followed through those batches' counts
 * (or, for refunds enqueued alone, their records, dropped as they become final).
 *
 * @returns the last progress: `done` is false when the wait timed out or was aborted.
 */
export async function waitForBatch(
  producer: RefundProducer,
  target: string | BatchRun,
  options: WaitForBatchOptions = {},
): Promise<BatchProgress> {
  const batchId = typeof target === "string" ? target : target.batchId;
  const otherBatches = typeof target === "string" ? [] : target.elsewhere.batchIds;
  let loose = typeof target === "string" ? [] : [...target.elsewhere.refundRequestIds];
  const intervalMs = options.intervalMs ?? 500;
  const started = Date.now();
  for (;;) {
    const counts = await producer.getBatch(batchId);
    let elsewherePending = 0;
    for (const other of otherBatches) {
      const c = await producer.getBatch(other);
      elsewherePending += (c.total ?? 0) - finalCount(c);
    }
    if (loose.length > 0) {
      const still: string[] = [];
      for (let i = 0; i < loose.length; i += DEFAULT_CHUNK_SIZE) {
        const ids = loose.slice(i, i + DEFAULT_CHUNK_SIZE);
        const records = await producer.store.getMany(ids);
        records.forEach((r, j) => {
          if (r && !FINAL_STATES.has(r.state)) still.push(ids[j]!);
        });
      }
      loose = still;
      elsewherePending += loose.length;
    }
    const total = counts.total ?? 0;
    const final = finalCount(counts);
    const elapsedMs = Date.now() - started;
    const progress: BatchProgress = {
      batchId,
      counts,
      total,
      final,
      elsewherePending,
      done: final >= total && elsewherePending === 0,
      elapsedMs,
    };
    options.onProgress?.(progress);
    if (progress.done || options.signal?.aborted === true) return progress;
    const left = options.timeoutMs === undefined ? intervalMs : options.timeoutMs - elapsedMs;
    if (left <= 0) return progress;
    try {
      await sleep(Math.min(intervalMs, left), undefined, { signal: options.signal });
    } catch {
      return { ...progress, elapsedMs: Date.now() - started };
    }
  }
}

// ---------------------------------------------------------------------------------------
// Report

/** A row's state in a report: the refund's state, `invalid` when no refund was made. */
export type BatchRowState = RefundState | "invalid" | "unknown";

/** One row of a batch report (one per input row, in input order). */
export interface BatchReportRow {
  line: number;
  refundRequestId: string;
  outcome: BatchRowOutcome;
  state: BatchRowState;
  /** The batch that counts the refund (another one for rows known from before). */
  batchId?: string;
  kind?: string;
  prepayId?: string;
  refundAmount?: string;
  refundOrderCurrency?: string;
  refundOrderAmount?: string;
  refundPayCurrency?: string;
  refundPayAmount?: string;
  /** GatePay's refund id, once GatePay has answered with one. */
  gateRefundId?: string;
  /** GatePay's last status string for the refund. */
  gatepayStatus?: string;
  /** Why the row or refund did not succeed: a GatePay code, ours, or the row's problem. */
  errorCode?: string;
  errorMessage?: string;
  /** ISO-8601 time of the refund's last change. */
  updatedAt?: string;
}

/** Columns of a CSV report, in order. */
export const BATCH_REPORT_COLUMNS = [
  "line",
  "refundRequestId",
  "outcome",
  "state",
  "batchId",
  "kind",
  "prepayId",
  "refundAmount",
  "refundOrderCurrency",
  "refundOrderAmount",
  "refundPayCurrency",
  "refundPayAmount",
  "gateRefundId",
  "gatepayStatus",
  "errorCode",
  "errorMessage",
  "updatedAt",
] as const satisfies readonly (keyof BatchReportRow)[];

/** Report file formats. */
export type BatchReportFormat = "csv" | "json" | "jsonl";

/** Error codes of rows that made no refund. */
export const BATCH_ROW_ERROR_CODES = {
  invalid: "INVALID_ROW",
  duplicate: "DUPLICATE_ID",
  conflict: "IDEMPOTENCY_CONFLICT",
} as const;

/** The outcome of every row of a run, by state. */
export interface BatchSummary {
  batchId: string;
  rows: number;
  /** Rows by state (`invalid` for rows that made no refund: bad, repeated, conflicting). */
  byState: Partial<Record<BatchRowState, number>>;
  /** True when every row's refund succeeded (and there was at least one row). */
  allSucceeded: boolean;
}

/**
 * The report format a file name implies: `.csv`, `.json` (one array) or `.jsonl` /
 * `.ndjson` (one object per line).
 *
 * @throws BatchFileError (`format`) for any other extension.
 */
export function batchReportFormat(path: string): BatchReportFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  throw new BatchFileError(
    "format",
    `cannot tell the report format of "${path}": use .csv, .json, .jsonl or .ndjson`,
  );
}

/**
 * Reads the current state of every row of a run (records in chunks of `chunkSize`, one
 * round trip each, in input order) and returns the summary by state; with `reportPath`
 * also writes one report row per input row there (format by extension, written to a
 * temporary file first and renamed into place, so a report is never half written).
 */
export async function summarizeBatch(
  producer: RefundProducer,
  run: BatchRun,
  options: { reportPath?: string; chunkSize?: number } = {},
): Promise<BatchSummary> {
  const format =
    options.reportPath === undefined ? undefined : batchReportFormat(options.reportPath);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const summary: BatchSummary = { batchId: run.batchId, rows: 0, byState: {}, allSucceeded: true };
  let out: WriteStream | undefined;
  let tmpPath: string | undefined;
  if (options.reportPath !== undefined) {
    tmpPath = `${options.reportPath}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
    out = createWriteStream(tmpPath, { encoding: "utf8" });
    out.on("error", () => undefined);
  }
  let first = true;
  const emit = async (rows: BatchReportRow[]) => {
    let text = "";
    for (const row of rows) {
      summary.rows += 1;
      summary.byState[row.state] = (summary.byState[row.state] ?? 0) + 1;
      if (row.state !== "succeeded") summary.allSucceeded = false;
      if (format === "csv") text += `${csvLine(BATCH_REPORT_COLUMNS.map((c) => row[c]))}\n`;
      else if (format === "jsonl") text += `${JSON.stringify(row)}\n`;
      else if (format === "json") text += `${first ? "" : ",\n"}${JSON.stringify(row)}`;
      first = false;
    }
    if (out) await writeText(out, text);
  };

  const lines = createInterface({
    input: createReadStream(run.journalPath, { encoding: "utf8" }),
    crlfDelay: Infinity,
  });
  try {
    if (out && format === "csv") await writeText(out, `${csvLine(BATCH_REPORT_COLUMNS)}\n`);
    if (out && format === "json") await writeText(out, "[\n");
    let chunk: JournalEntry[] = [];
    for await (const text of lines) {
      if (text === "") continue;
      chunk.push(JSON.parse(text) as JournalEntry);
      if (chunk.length >= chunkSize) {
        await emit(await reportRows(producer, chunk));
        chunk = [];
      }
    }
    await emit(await reportRows(producer, chunk));
    if (summary.rows === 0) summary.allSucceeded = false;
    if (out && tmpPath !== undefined && options.reportPath !== undefined) {
      out.end(format === "json" ? "\n]\n" : "");
      await finished(out);
      await rename(tmpPath, options.reportPath);
    }
  } catch (err) {
    out?.destroy();
    if (tmpPath !== undefined) await rm(tmpPath, { force: true });
    throw err;
  } finally {
    lines.close();
  }
  return summary;
}

/** {@link summarizeBatch} that writes the report to `reportPath`. */
export function writeBatchReport(
  producer: RefundProducer,
  run: BatchRun,
  reportPath: string,
  options: { chunkSize?: number } = {},
): Promise<BatchSummary> {
  return summarizeBatch(producer, run, { ...options, reportPath });
}

// ---------------------------------------------------------------------------------------
// Internals: rows

interface ValidRow {
  kind: "valid";
  line: number;
  id: string;
  request: RefundRequestFields;
}

interface BadRow {
  kind: "invalid" | "duplicate";
  line: number;
  id: string | undefined;
  issues: FieldIssue[];
  fields: Record<string, unknown>;
  duplicateOfLine?: number;
}

type ClassifiedRow = ValidRow | BadRow;

function classifyRow(row: BatchRow, index: DuplicateIdIndex): ClassifiedRow {
  const rawId = row.fields["refundRequestId"];
  const id = typeof rawId === "string" && REFUND_REQUEST_ID_PATTERN.test(rawId) ? rawId : undefined;
  // Every row with a usable id claims it, valid or not: an id written twice in one file is
  // ambiguous (which row did the operator mean?), so the later rows are not sent.
  const firstLine = id === undefined ? undefined : index.firstSeen(id, row.line);
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

function problemOf(c: BadRow): BatchRowProblem {
  const problem: BatchRowProblem = { line: c.line, kind: c.kind, issues: c.issues };
  if (c.id !== undefined) problem.refundRequestId = c.id;
  if (c.duplicateOfLine !== undefined) problem.duplicateOfLine = c.duplicateOfLine;
  return problem;
}

/** One journal line: what became of one input row (short keys: a line per row). */
interface JournalEntry {
  /** line */
  l: number;
  /** outcome */
  o: BatchRowOutcome;
  /** refundRequestId, as given when the row had a usable one */
  id?: string;
  /** the row's requested fields as given, for rows that made no refund */
  f?: Record<string, string>;
  /** error code and message, for rows that made no refund */
  c?: string;
  m?: string;
}

function settleBadRow(
  c: BadRow,
  run: BatchRun,
  report: (p: BatchRowProblem) => void,
): JournalEntry {
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

function settleValidRow(
  c: ValidRow,
  result: BulkEnqueueItem | undefined,
  run: BatchRun,
  batchId: string,
  elsewhereBatches: Set<string>,
  report: (p: BatchRowProblem) => void,
): JournalEntry {
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
      if (r.batchId !== batchId && !FINAL_STATES.has(r.state)) {
        if (r.batchId === undefined) run.elsewhere.refundRequestIds.push(r.refundRequestId);
        else elsewhereBatches.add(r.batchId);
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

const SHOWN_FIELDS = [
  "kind",
  "prepayId",
  "refundAmount",
  "refundOrderCurrency",
  "refundOrderAmount",
  "refundPayCurrency",
  "refundPayAmount",
] as const;

/** The requested fields of a row that made no refund, as given (strings, cut to 64). */
function shownFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SHOWN_FIELDS) {
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

async function reportRows(
  producer: RefundProducer,
  entries: readonly JournalEntry[],
): Promise<BatchReportRow[]> {
  const withRecord = entries.filter((e) => e.c === undefined && e.id !== undefined);
  const records = await producer.store.getMany(withRecord.map((e) => e.id!));
  const byId = new Map<string, RefundRecord | null>();
  withRecord.forEach((e, i) => byId.set(e.id!, records[i] ?? null));
  return entries.map((e) => {
    const row: BatchReportRow = {
      line: e.l,
      refundRequestId: e.id ?? "",
      outcome: e.o,
      state: "invalid",
    };
    if (e.c !== undefined) {
      Object.assign(row, e.f);
      row.errorCode = e.c;
      if (e.m !== undefined) row.errorMessage = e.m;
      return row;
    }
    const record = byId.get(e.id!) ?? null;
    if (record === null) {
      row.state = "unknown";
      row.errorCode = "RECORD_MISSING";
      row.errorMessage = "no refund record under this id any more";
      return row;
    }
    return Object.assign(row, recordColumns(record));
  });
}

function recordColumns(record: RefundRecord): Partial<BatchReportRow> {
  const r = record.request;
  const out: Partial<BatchReportRow> = {
    state: record.state,
    kind: r.kind,
    prepayId: r.prepayId,
    updatedAt: record.updatedAt,
  };
  if (record.batchId !== undefined) out.batchId = record.batchId;
  if (r.kind === "order") {
    out.refundAmount = r.refundAmount;
  } else {
    out.refundOrderCurrency = r.refundOrderCurrency;
    out.refundOrderAmount = r.refundOrderAmount;
    out.refundPayCurrency = r.refundPayCurrency;
    out.refundPayAmount = r.refundPayAmount;
  }
  if (record.gatepay?.gateRefundId !== undefined) out.gateRefundId = record.gatepay.gateRefundId;
  if (record.gatepay?.status !== undefined) out.gatepayStatus = record.gatepay.status;
  // A succeeded refund may carry the error of an earlier attempt: not an error any more.
  if (record.state !== "succeeded" && record.lastError !== undefined) {
    out.errorCode = record.lastError.code;
    out.errorMessage = record.lastError.message;
  } else if (record.state === "failed" && record.gatepay?.failReason !== undefined) {
    out.errorMessage = record.gatepay.failReason;
  }
  return out;
}

/** One CSV line (RFC 4180 quoting: fields with a comma, quote or line break are quoted). */
function csvLine(values: readonly (string | number | undefined)[]): string {
  return values
    .map((v) => {
      const s = v === undefined ? "" : String(v);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(",");
}

// ---------------------------------------------------------------------------------------
// Internals: metadata, files, ids

function emptyCounts(): BatchRowCounts {
  return {
    rows: 0,
    valid: 0,
    invalid: 0,
    duplicates: 0,
    created: 0,
    existing: 0,
    conflicts: 0,
    overRefunds: 0,
  };
}

const COUNT_FIELDS = Object.keys(emptyCounts()) as (keyof BatchRowCounts)[];

function batchMetaWriter(producer: RefundProducer, batchId: string) {
  const redis = producer.store.redis;
  const key = producer.store.keys.batchMeta(batchId);
  const nowIso = () => new Date(producer.store.now()).toISOString();
  return {
    async start(file: string, format: BatchFileFormat) {
      const at = nowIso();
      await redis
        .multi()
        .hsetnx(key, "createdAt", at)
        .hset(key, { file, format, lastRunAt: at, status: "enqueuing", rowsRead: 0 })
        .hdel(key, "error", ...COUNT_FIELDS)
        .hincrby(key, "runs", 1)
        .exec();
    },
    async progress(rowsRead: number) {
      await redis.hset(key, "rowsRead", rowsRead);
    },
    async finish(run: BatchRowCounts) {
      const counts = Object.fromEntries(COUNT_FIELDS.map((k) => [k, run[k]]));
      await redis.hset(key, { ...counts, rowsRead: run.rows, status: "enqueued" });
    },
    async interrupted(run: BatchRowCounts, error: string) {
      await redis.hset(key, { rowsRead: run.rows, status: "interrupted", error });
    },
  };
}

function parseMeta(raw: Record<string, string>): BatchMeta {
  const meta: BatchMeta = {
    file: raw["file"] ?? "",
    format: raw["format"] === "jsonl" ? "jsonl" : "csv",
    createdAt: raw["createdAt"] ?? "",
    lastRunAt: raw["lastRunAt"] ?? "",
    runs: Number(raw["runs"] ?? 0),
    status:
      raw["status"] === "enqueued" || raw["status"] === "interrupted" ? raw["status"] : "enqueuing",
    rowsRead: Number(raw["rowsRead"] ?? 0),
    ...emptyCounts(),
  };
  for (const k of COUNT_FIELDS) meta[k] = Number(raw[k] ?? 0);
  if (raw["error"] !== undefined) meta.error = raw["error"];
  return meta;
}

function finalCount(counts: BatchCounts): number {
  let n = 0;
  for (const s of FINAL_STATES) n += counts[s] ?? 0;
  return n;
}

async function fileStamp(path: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new BatchFileError("io", `"${path}" is not a file`);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch (err) {
    if (err instanceof BatchFileError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new BatchFileError("io", `cannot read "${path}": ${reason}`, undefined, { cause: err });
  }
}

async function writeText(stream: WriteStream, text: string): Promise<void> {
  if (text === "") return;
  if (stream.errored) throw stream.errored;
  if (!stream.write(text)) await once(stream, "drain");
}

/** A fresh batch id: UTC time and 6 random hex digits (`20261003-142501-3f9a1c`). */
export function generateBatchId(nowMs = Date.now()): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}`;
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}
