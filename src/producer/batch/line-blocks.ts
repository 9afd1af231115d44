/**
 * The physical lines of a batch file, checked for UTF-8: the layer under both readers.
 * It holds one chunk of the file at a time, never the file, and knows the line number of
 * every byte, so an encoding problem names its exact line.
 */
import { isUtf8 } from "node:buffer";
import { BatchFileError } from "./batch-file-error.js";

/** Longest physical line (and longest CSV record) accepted, bytes: 1 MiB. */
export const MAX_BATCH_LINE_BYTES = 1 << 20;

/** The bytes of a batch file: a stream, or an iterable of buffers or strings. */
export type BatchByteSource =
  AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

/** A run of whole physical lines (the last block of a file may lack its newline). */
export interface LineBlock {
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
export async function* utf8LineBlocks(source: BatchByteSource): AsyncGenerator<LineBlock> {
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

/** Newlines in `buf` between byte offsets `from` (included) and `to` (excluded). */
export function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let i = buf.indexOf(NEWLINE, from);
  while (i !== -1 && i < to) {
    n += 1;
    i = buf.indexOf(NEWLINE, i + 1);
  }
  return n;
}
