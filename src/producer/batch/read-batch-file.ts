/**
 * Reading a batch file: a stream of CSV or JSONL refund rows, in file order.
 *
 * The reader holds one chunk of the file and the rows in flight, never the file: memory
 * stays flat whatever the file's length. It reports each row with the physical line it
 * starts on (a CSV field may span lines), and turns everything that makes the whole file
 * unreadable into one {@link BatchFileError} naming the line: bytes that are not UTF-8, a
 * missing or unknown header, CSV syntax that cannot be recovered from (an unclosed quote).
 * Problems of one row (bad JSON, too many CSV fields) come back on that row instead, so
 * the caller can list them and let the other rows go ahead.
 */
import { createReadStream } from "node:fs";
import { extname } from "node:path";
import type { BatchFileFormat } from "../../domain/batch.js";
import { BatchFileError } from "./batch-file-error.js";
import type { BatchRow } from "./batch-row.js";
import type { BatchByteSource } from "./line-blocks.js";
import { readCsvBlocks } from "./read-csv.js";
import { readJsonlBlocks } from "./read-jsonl.js";

/** Options of {@link readBatchFile} and {@link readBatchRows}. */
export interface ReadBatchOptions {
  /** The file format; default from the extension ({@link batchFileFormat}). */
  format?: BatchFileFormat;
}

/**
 * The format a file name implies: `.csv` is CSV, `.jsonl` and `.ndjson` are JSONL.
 *
 * @throws BatchFileError (`format`) for any other extension.
 */
export function batchFileFormat(path: string): BatchFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  throw new BatchFileError(
    "format",
    `cannot tell the format of "${path}" from its extension: use .csv, .jsonl or .ndjson ` +
      `(or give the format explicitly)`,
  );
}

/**
 * Streams the rows of a batch file, in file order, skipping blank lines (and CSV rows
 * whose cells are all empty).
 *
 * @throws BatchFileError when the file cannot be opened or read as a whole (see the
 *   module comment); rows before the problem have been yielded.
 */
export async function* readBatchFile(
  path: string,
  options: ReadBatchOptions = {},
): AsyncGenerator<BatchRow> {
  for await (const rows of readBatchFileBlocks(path, options)) yield* rows;
}

/**
 * {@link readBatchFile} a block of rows at a time (the rows of one read of the file, in
 * file order, never empty): one await per block instead of one per row, which is most of
 * what reading a row costs. Rows before an error come in the blocks yielded before it.
 */
export async function* readBatchFileBlocks(
  path: string,
  options: ReadBatchOptions = {},
): AsyncGenerator<BatchRow[]> {
  const format = options.format ?? batchFileFormat(path);
  const source = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    yield* format === "jsonl" ? readJsonlBlocks(source) : readCsvBlocks(source);
  } catch (err) {
    if (err instanceof BatchFileError) throw err;
    if (typeof (err as NodeJS.ErrnoException).syscall === "string") {
      throw new BatchFileError(
        "io",
        `cannot read "${path}": ${(err as Error).message}`,
        undefined,
        {
          cause: err,
        },
      );
    }
    throw err;
  } finally {
    source.destroy();
  }
}

/** {@link readBatchFile} over any byte source (a stream, or an iterable of buffers). */
export async function* readBatchRows(
  source: BatchByteSource,
  format: BatchFileFormat,
): AsyncGenerator<BatchRow> {
  const blocks = format === "jsonl" ? readJsonlBlocks(source) : readCsvBlocks(source);
  for await (const rows of blocks) yield* rows;
}
