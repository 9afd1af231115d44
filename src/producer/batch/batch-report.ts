/**
 * The outcome of every row of a run: a summary by state, and optionally a report file
 * with one row per input row (CSV, JSON or JSONL), streamed from the run's journal a
 * chunk at a time.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { extname } from "node:path";
import { finished } from "node:stream/promises";
import { csvLine } from "../../csv.js";
import type { RefundProducer } from "../enqueue-refund.js";
import { BatchFileError } from "./batch-file-error.js";
import { DEFAULT_BATCH_CHUNK_SIZE, type BatchRun } from "./batch-run.js";
import { readJournal } from "./journal.js";
import {
  BATCH_REPORT_COLUMNS,
  reportRows,
  type BatchReportRow,
  type BatchRowState,
} from "./report-rows.js";
import { writeText } from "./write-text.js";

/** Report file formats. */
export type BatchReportFormat = "csv" | "json" | "jsonl";

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
  const chunkSize = options.chunkSize ?? DEFAULT_BATCH_CHUNK_SIZE;
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

  try {
    if (out && format === "csv") await writeText(out, `${csvLine(BATCH_REPORT_COLUMNS)}\n`);
    if (out && format === "json") await writeText(out, "[\n");
    for await (const entries of readJournal(run.journalPath, chunkSize)) {
      await emit(await reportRows(producer, entries));
    }
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
