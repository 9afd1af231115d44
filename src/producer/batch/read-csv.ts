/**
 * The CSV reader: csv-parse over the UTF-8-checked lines, each record reported with the
 * physical line it starts on (a quoted field may span lines). Syntax that cannot be
 * recovered from (an unclosed quote) is a {@link BatchFileError} naming the line where its
 * row starts; rows before it have been yielded.
 */
import { once } from "node:events";
import { CsvError, Parser, type Info, type Options } from "csv-parse";
import { BatchFileError } from "./batch-file-error.js";
import { REQUIRED_BATCH_COLUMNS, type BatchRow } from "./batch-row.js";
import { checkHeader, csvRow } from "./csv-header.js";
import {
  countNewlines,
  MAX_BATCH_LINE_BYTES,
  utf8LineBlocks,
  type BatchByteSource,
  type LineBlock,
} from "./line-blocks.js";

/**
 * Maps byte offsets of the stream to line numbers. csv-parse reports where each record
 * ends as a byte offset (`info.bytes`), and its own line count is unreliable for CRLF
 * inside quoted fields, so lines are counted here from the bytes that went past. Offsets
 * asked for only grow, so blocks behind the cursor are dropped: memory holds only the
 * blocks between what was read and what was parsed.
 */
class LineCursor {
  readonly #blocks: { start: number; bytes: Buffer }[] = [];
  #end = 0;
  #offset = 0;
  #line = 1;

  push(bytes: Buffer): void {
    this.#blocks.push({ start: this.#end, bytes });
    this.#end += bytes.length;
  }

  /** Line of the byte at `offset` (1 + newlines before it). `offset` never decreases. */
  lineAt(offset: number): number {
    while (this.#offset < offset) {
      const block = this.#blocks[0];
      if (!block) break;
      const blockEnd = block.start + block.bytes.length;
      const to = Math.min(offset, blockEnd);
      this.#line += countNewlines(block.bytes, this.#offset - block.start, to - block.start);
      this.#offset = to;
      if (to === blockEnd) this.#blocks.shift();
    }
    return this.#line;
  }
}

interface CsvRecord {
  cells: string[];
  /** Byte offset just past the record (and its line break). */
  bytes: number;
  /** Blank lines skipped so far, in the whole file. */
  emptyLines: number;
}

/**
 * csv-parse, its records taken as it pushes them, with where each ends from its live
 * `info`. Records are taken as the parser finds them rather than read from its stream:
 * when the parser fails, the stream discards what it buffered, and the rows before a
 * syntax error, and the line the error is on, would be lost with it. Not `on_record`:
 * csv-parse builds a context object of a dozen fields for each call, about 3 µs a row
 * (40 % of its time), for the two numbers read here, which `info` holds at push time.
 */
class RecordTaker extends Parser {
  readonly parsed: CsvRecord[] = [];

  constructor(options: Options) {
    super(options);
  }

  override push(record: unknown): boolean {
    if (record === null) return super.push(null);
    const info = this.info;
    this.parsed.push({
      cells: record as string[],
      bytes: info.bytes,
      emptyLines: info.empty_lines,
    });
    return true;
  }
}

/**
 * Streams the rows of a CSV file with a header row, in file order, skipping rows whose
 * cells are all empty: the rows of each read of the file as one array (never empty), so
 * a caller awaits once per block rather than once per row. Rows before an error come in
 * the blocks yielded before it is thrown.
 */
export async function* readCsvBlocks(source: BatchByteSource): AsyncGenerator<BatchRow[]> {
  const cursor = new LineCursor();
  const parser = new RecordTaker({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // LF and CRLF both end a record, also mixed in one file (spreadsheets append rows).
    record_delimiter: ["\r\n", "\n"],
    max_record_size: MAX_BATCH_LINE_BYTES,
  });
  const parsed = parser.parsed;
  let failure: unknown;
  parser.on("error", (err) => (failure ??= err));
  const write = (bytes: Buffer) =>
    new Promise<void>((resolve) =>
      parser.write(bytes, (err) => {
        if (err) failure ??= err;
        resolve();
      }),
    );

  let header: string[] | undefined;
  let prevBytes = 0;
  let prevEmpty = 0;
  /** Physical line where the record after the last one parsed starts. */
  const startLine = (emptyLines: number) => cursor.lineAt(prevBytes) + (emptyLines - prevEmpty);

  /** The rows of the records parsed so far (only the header row can throw: none before it). */
  function drain(): BatchRow[] {
    const rows: BatchRow[] = [];
    for (const item of parsed) {
      const line = startLine(item.emptyLines);
      prevBytes = item.bytes;
      prevEmpty = item.emptyLines;
      if (item.cells.every((c) => c === "")) continue;
      if (header === undefined) header = checkHeader(item.cells, line);
      else rows.push(csvRow(header, item.cells, line));
    }
    parsed.length = 0;
    return rows;
  }
  function fail(err: unknown): never {
    if (err instanceof CsvError) {
      const emptyLines = (err as unknown as Partial<Info>).empty_lines ?? prevEmpty;
      throw csvSyntaxError(err, startLine(emptyLines));
    }
    throw err;
  }

  const blocks = utf8LineBlocks(source);
  try {
    let sourceError: BatchFileError | undefined;
    for (;;) {
      let next: IteratorResult<LineBlock>;
      try {
        next = await blocks.next();
      } catch (err) {
        if (!(err instanceof BatchFileError)) throw err;
        sourceError = err;
        break;
      }
      if (next.done === true) break;
      cursor.push(next.value.bytes);
      await write(next.value.bytes);
      const rows = drain();
      if (rows.length > 0) yield rows;
      if (failure !== undefined) fail(failure);
    }
    // The parser holds the last record of a write back until it sees what follows; ending
    // it releases that record, also when the bytes after it were refused.
    parser.end();
    await once(parser, "finish").catch((err: unknown) => (failure ??= err));
    const rows = drain();
    if (rows.length > 0) yield rows;
    if (sourceError !== undefined) throw sourceError;
    if (failure !== undefined) fail(failure);
  } finally {
    parser.destroy();
    await blocks.return(undefined);
  }
  if (header === undefined) {
    throw new BatchFileError(
      "header",
      `the file is empty: a CSV batch starts with a header row (${REQUIRED_BATCH_COLUMNS.join(",")},…)`,
      1,
    );
  }
}

function csvSyntaxError(err: CsvError, line: number): BatchFileError {
  switch (err.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return new BatchFileError(
        "syntax",
        "a quoted field opened in the row starting here is never closed",
        line,
        { cause: err },
      );
    case "CSV_INVALID_CLOSING_QUOTE":
    case "INVALID_OPENING_QUOTE":
      return new BatchFileError(
        "syntax",
        "a quote in the row starting here is misplaced: quote the whole field and double " +
          'any quote inside it ("")',
        line,
        { cause: err },
      );
    case "CSV_MAX_RECORD_SIZE":
      return new BatchFileError(
        "line-too-long",
        `the row starting here is longer than ${MAX_BATCH_LINE_BYTES} bytes (an unclosed quote?)`,
        line,
        { cause: err },
      );
    default:
      return new BatchFileError(
        "syntax",
        `CSV syntax error in the row starting here (${err.code})`,
        line,
        { cause: err },
      );
  }
}
