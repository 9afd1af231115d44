/**
 * Batch files: a streaming reader of CSV or JSONL refund rows, and a compact index that
 * finds refundRequestIds repeated inside one file.
 *
 * The reader holds one chunk of the file and the rows in flight, never the file: memory
 * stays flat whatever the file's length. It reports each row with the physical line it
 * starts on (a CSV field may span lines), and turns everything that makes the whole file
 * unreadable into one {@link BatchFileError} naming the line: bytes that are not UTF-8, a
 * missing or unknown header, CSV syntax that cannot be recovered from (an unclosed quote).
 * Problems of one row (bad JSON, too many CSV fields) come back on that row instead, so
 * the caller can list them and let the other rows go ahead.
 *
 * Columns (CSV header / JSONL keys) are DESIGN.md's batch columns, the field names of
 * {@link parseRefundRequest}; an empty cell is an absent field.
 */
import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { once } from "node:events";
import { isUtf8 } from "node:buffer";
import { CsvError, parse as parseCsv, type Info } from "csv-parse";
import type { FieldIssue } from "../domain/errors.js";

/** File formats of a batch. */
export type BatchFileFormat = "csv" | "jsonl";

/** The columns a batch file may have (DESIGN.md "Batch file columns", plus `orderAmount`). */
export const BATCH_COLUMNS = [
  "refundRequestId",
  "prepayId",
  "refundAmount",
  "refundReason",
  "kind",
  "refundOrderCurrency",
  "refundOrderAmount",
  "refundPayCurrency",
  "refundPayAmount",
  "receiverId",
  "onBehalfOf",
  "orderAmount",
] as const;

/** Columns every CSV header must have: without them no row can be valid. */
export const REQUIRED_BATCH_COLUMNS = ["refundRequestId", "prepayId"] as const;

/** Longest physical line (and longest CSV record) accepted, bytes: 1 MiB. */
export const MAX_BATCH_LINE_BYTES = 1 << 20;

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

/** Why a whole batch file is unreadable. */
export type BatchFileErrorCode =
  "format" | "io" | "encoding" | "header" | "syntax" | "line-too-long";

/**
 * The whole file is unreadable: nothing after `line` was read. `line` is 1-based and
 * absent when the problem is not at a line (unknown format, unreadable file).
 */
export class BatchFileError extends Error {
  override readonly name = "BatchFileError";

  constructor(
    readonly code: BatchFileErrorCode,
    message: string,
    readonly line?: number,
    options?: ErrorOptions,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`, options);
  }
}

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
  const format = options.format ?? batchFileFormat(path);
  const source = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    yield* readBatchRows(source, format);
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
  source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
  format: BatchFileFormat,
): AsyncGenerator<BatchRow> {
  if (format === "jsonl") yield* readJsonl(source);
  else yield* readCsv(source);
}

// ---------------------------------------------------------------------------------------
// Physical lines, checked for UTF-8

/** A run of whole physical lines (the last block of a file may lack its newline). */
interface LineBlock {
  /** Line number of the block's first line. */
  line: number;
  bytes: Buffer;
}

const NEWLINE = 0x0a;

/**
 * Re-chunks `source` into blocks of whole lines and checks each is UTF-8. A newline byte
 * never occurs inside a multi-byte UTF-8 sequence, so a line is a unit that can be
 * checked on its own, and the line of the first bad byte is exact.
 */
async function* utf8LineBlocks(
  source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
): AsyncGenerator<LineBlock> {
  let carry: Buffer = Buffer.alloc(0);
  let line = 1;
  for await (const chunk of source) {
    const data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
    const buf = carry.length === 0 ? data : Buffer.concat([carry, data]);
    const lastNewline = buf.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      if (buf.length > MAX_BATCH_LINE_BYTES) throw lineTooLong(line);
      carry = buf;
      continue;
    }
    const block = buf.subarray(0, lastNewline + 1);
    carry = Buffer.from(buf.subarray(lastNewline + 1));
    yield* checkedBlock(block, line);
    line += countNewlines(block, 0, block.length);
  }
  if (carry.length > 0) yield* checkedBlock(carry, line);
}

/** The block when it is sound; else the lines before the problem, then the error. */
function* checkedBlock(block: Buffer, firstLine: number): Generator<LineBlock> {
  const problem = findProblem(block, firstLine);
  if (problem === undefined) {
    yield { line: firstLine, bytes: block };
    return;
  }
  if (problem.offset > 0) yield { line: firstLine, bytes: block.subarray(0, problem.offset) };
  throw problem.error;
}

function lineTooLong(line: number): BatchFileError {
  return new BatchFileError(
    "line-too-long",
    `line is longer than ${MAX_BATCH_LINE_BYTES} bytes: is this a batch file?`,
    line,
  );
}

/**
 * The first line of `block` that is not UTF-8 or is too long: its byte offset in the block
 * and the error to raise. Whole blocks are checked at once; lines only on a failure.
 */
function findProblem(
  block: Buffer,
  firstLine: number,
): { offset: number; error: BatchFileError } | undefined {
  // Long lines are rare: look for one only when the block could hold one.
  if (isUtf8(block) && block.length <= MAX_BATCH_LINE_BYTES) return undefined;
  let line = firstLine;
  let start = 0;
  while (start < block.length) {
    const nl = block.indexOf(NEWLINE, start);
    const end = nl === -1 ? block.length : nl + 1;
    const text = block.subarray(start, end);
    if (!isUtf8(text)) {
      const bad = firstBadUtf8Column(text);
      const message = `not valid UTF-8 (byte ${bad} of the line): save the file as UTF-8`;
      return { offset: start, error: new BatchFileError("encoding", message, line) };
    }
    if (end - start > MAX_BATCH_LINE_BYTES) return { offset: start, error: lineTooLong(line) };
    line += 1;
    start = end;
  }
  return undefined;
}

/** 1-based position of the first byte of `text` that starts an invalid UTF-8 sequence. */
function firstBadUtf8Column(text: Buffer): number {
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c < 0x80) {
      i += 1;
      continue;
    }
    const length =
      c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    // isUtf8 on the one sequence also refuses overlong forms and surrogates.
    if (length === 0 || !isUtf8(text.subarray(i, i + length)) || i + length > text.length) {
      return i + 1;
    }
    i += length;
  }
  return text.length;
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let i = buf.indexOf(NEWLINE, from);
  while (i !== -1 && i < to) {
    n += 1;
    i = buf.indexOf(NEWLINE, i + 1);
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// JSONL

async function* readJsonl(
  source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
): AsyncGenerator<BatchRow> {
  let first = true;
  for await (const block of utf8LineBlocks(source)) {
    let text = block.bytes.toString("utf8");
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    first = false;
    const lines = text.split("\n");
    // A block ends with a newline except the file's last one: drop the empty tail.
    if (lines[lines.length - 1] === "") lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.trim();
      if (raw === "") continue;
      yield parseJsonLine(raw, block.line + i);
    }
  }
}

function parseJsonLine(raw: string, line: number): BatchRow {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { line, fields: {}, issues: [{ path: "", message: `not valid JSON (${reason})` }] };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      line,
      fields: {},
      issues: [{ path: "", message: "must be a JSON object, one refund per line" }],
    };
  }
  return { line, fields: value as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------
// CSV

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

async function* readCsv(
  source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
): AsyncGenerator<BatchRow> {
  const cursor = new LineCursor();
  // Records are taken as the parser finds them (on_record) rather than read from its
  // stream: when the parser fails, the stream discards what it buffered, and the rows
  // before a syntax error, and the line the error is on, would be lost with it.
  const parsed: CsvRecord[] = [];
  const parser = parseCsv({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // LF and CRLF both end a record, also mixed in one file (spreadsheets append rows).
    record_delimiter: ["\r\n", "\n"],
    max_record_size: MAX_BATCH_LINE_BYTES,
    on_record: (cells: string[], context) => {
      parsed.push({ cells, bytes: context.bytes, emptyLines: context.empty_lines });
      return null;
    },
  });
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

  function* drain(): Generator<BatchRow> {
    for (let item = parsed.shift(); item !== undefined; item = parsed.shift()) {
      const line = startLine(item.emptyLines);
      prevBytes = item.bytes;
      prevEmpty = item.emptyLines;
      if (item.cells.every((c) => c === "")) continue;
      if (header === undefined) header = checkHeader(item.cells, line);
      else yield csvRow(header, item.cells, line);
    }
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
      yield* drain();
      if (failure !== undefined) fail(failure);
    }
    // The parser holds the last record of a write back until it sees what follows; ending
    // it releases that record, also when the bytes after it were refused.
    parser.end();
    await once(parser, "finish").catch((err: unknown) => (failure ??= err));
    yield* drain();
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

const KNOWN_COLUMNS: ReadonlySet<string> = new Set(BATCH_COLUMNS);

function checkHeader(cells: string[], line: number): string[] {
  const unknown = cells.filter((c) => !KNOWN_COLUMNS.has(c));
  if (unknown.length === cells.length) {
    const shown = cells.slice(0, 4).join(",").slice(0, 80);
    throw new BatchFileError(
      "header",
      `no header row: the first row ("${shown}") names no known column; ` +
        `a CSV batch starts with a header such as ${REQUIRED_BATCH_COLUMNS.join(",")},refundAmount`,
      line,
    );
  }
  if (unknown.length > 0) {
    const described = unknown.map((c) => {
      if (c === "") return `(a column with no name, position ${cells.indexOf(c) + 1})`;
      const near = BATCH_COLUMNS.find((k) => k.toLowerCase() === c.toLowerCase());
      return near === undefined ? `"${c}"` : `"${c}" (did you mean ${near}?)`;
    });
    throw new BatchFileError(
      "header",
      `unknown column(s): ${described.join(", ")}; allowed: ${BATCH_COLUMNS.join(", ")}`,
      line,
    );
  }
  const repeated = cells.filter((c, i) => cells.indexOf(c) !== i);
  if (repeated.length > 0) {
    throw new BatchFileError(
      "header",
      `column(s) named twice: ${[...new Set(repeated)].join(", ")}`,
      line,
    );
  }
  const missing = REQUIRED_BATCH_COLUMNS.filter((c) => !cells.includes(c));
  if (missing.length > 0) {
    throw new BatchFileError("header", `missing required column(s): ${missing.join(", ")}`, line);
  }
  return cells;
}

function csvRow(header: string[], cells: string[], line: number): BatchRow {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < header.length; i++) fields[header[i]!] = cells[i] ?? "";
  // Missing trailing cells read as empty (absent) fields; extra cells with content mean
  // the row does not line up with the header, so none of its cells can be trusted.
  const extra = cells.slice(header.length).filter((c) => c !== "");
  if (extra.length === 0) return { line, fields };
  return {
    line,
    fields,
    issues: [
      {
        path: "",
        message: `has ${cells.length} cells but the header has ${header.length} columns (an unquoted comma?)`,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------
// Duplicate ids

/**
 * Remembers the first line of every refundRequestId in one file, in about 24 bytes per
 * id (25 MB for a million rows, where a `Set` of the strings takes 70–100 MB): each id is
 * kept as a 64-bit hash in an open-addressing table of typed arrays, never as a string.
 *
 * Two different ids collide with probability about 2^-64 per pair: across a million rows
 * the chance of one false "duplicate" is about 3 in 100 million. A collision can only
 * make a row be reported as a duplicate (it is then not sent), never make two refunds one.
 */
export class DuplicateIdIndex {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #line: Uint32Array;
  #mask: number;
  #size = 0;

  /** `expected`: ids the table is sized for at first (it grows as needed); default 16,384. */
  constructor(expected = 16_384) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#line = new Uint32Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Number of distinct ids seen. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.#hi.byteLength + this.#lo.byteLength + this.#line.byteLength;
  }

  /**
   * Notes `id` at `line` (1-based, at most 2^32 - 1). Returns undefined when the id is new,
   * or the line where it was first seen.
   */
  firstSeen(id: string, line: number): number | undefined {
    // A 64-bit hash in two 32-bit halves (cyrb53's multiply-xorshift mixing, both halves
    // kept): a tenth of the time of a crypto digest per id, and ids are not adversarial
    // here (a collision only holds one row back, see above).
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < id.length; i++) {
      const ch = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    const hi = h1 >>> 0;
    const lo = h2 >>> 0;
    let slot = lo & this.#mask;
    for (;;) {
      const at = this.#line[slot]!;
      if (at === 0) break;
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) return at;
      slot = (slot + 1) & this.#mask;
    }
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#line[slot] = line;
    this.#size += 1;
    if (this.#size * 2 > this.#mask + 1) this.#grow();
    return undefined;
  }

  /** Forgets every id (keeps the capacity). */
  clear(): void {
    this.#line.fill(0);
    this.#size = 0;
  }

  #grow(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    const lines = this.#line;
    const capacity = (this.#mask + 1) * 2;
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#line = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === 0) continue;
      let slot = lo[i]! & this.#mask;
      while (this.#line[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#hi[slot] = hi[i]!;
      this.#lo[slot] = lo[i]!;
      this.#line[slot] = lines[i]!;
    }
  }
}
