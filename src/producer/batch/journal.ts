/**
 * A run's journal: what became of every input row, one JSON line per row in input order,
 * in a file of its own temporary directory. The run appends a chunk at a time and the
 * report streams it back, so neither holds the file's rows in memory.
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { finished } from "node:stream/promises";
import type { BatchRowOutcome } from "./batch-run.js";
import { writeText } from "./write-text.js";

/** One journal line: what became of one input row (short keys: a line per row). */
export interface JournalEntry {
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

/** What the journal's stream buffers before an append waits for the disk. */
const JOURNAL_BUFFER_BYTES = 1 << 20;

/** The journal being written by one run. */
export class BatchJournal {
  /** The journal file's absolute path. */
  readonly path: string;
  readonly #dir: string;
  readonly #out: WriteStream;

  private constructor(dir: string) {
    this.#dir = dir;
    this.path = join(dir, "journal.jsonl");
    // A chunk's lines (500 rows, ~20 KiB) overflow the default 16 KiB buffer, so every
    // append waited for the disk before the next chunk could go to Redis. 1 MiB still
    // bounds what is held when the disk is slower than the run.
    this.#out = createWriteStream(this.path, {
      encoding: "utf8",
      highWaterMark: JOURNAL_BUFFER_BYTES,
    });
    // Errors surface through append() and close(); a listener keeps one from crashing
    // the process while nothing waits on the stream.
    this.#out.on("error", () => undefined);
  }

  /** A new, empty journal in a fresh directory under `parentDir` (default: OS temp). */
  static async create(parentDir: string = tmpdir()): Promise<BatchJournal> {
    return new BatchJournal(await mkdtemp(join(parentDir, "gatepay-batch-")));
  }

  /** Appends one line per entry. */
  async append(entries: readonly JournalEntry[]): Promise<void> {
    let text = "";
    for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
    await writeText(this.#out, text);
  }

  /** Ends the file once everything appended is on disk. */
  async close(): Promise<void> {
    this.#out.end();
    await finished(this.#out);
  }

  /** Deletes the journal and its directory (also when still open). */
  async dispose(): Promise<void> {
    if (!this.#out.closed) this.#out.destroy();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** Streams the entries of the journal at `path`, in input order, `chunkSize` at a time. */
export async function* readJournal(
  path: string,
  chunkSize: number,
): AsyncGenerator<JournalEntry[]> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Infinity,
  });
  try {
    let chunk: JournalEntry[] = [];
    for await (const text of lines) {
      if (text === "") continue;
      chunk.push(JSON.parse(text) as JournalEntry);
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    lines.close();
  }
}
