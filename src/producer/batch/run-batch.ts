/**
 * One run over a batch file: rows stream from the file, are classified, and go to the
 * producer a chunk at a time under one batch id; what each row became goes to the run's
 * journal, and the batch metadata follows the run (started, rows read, finished or
 * interrupted). Memory stays flat in the file's length.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { emptyBatchRowCounts, type BatchFileFormat } from "../../domain/batch.js";
import { DurabilityTimeoutError } from "../../domain/durability-errors.js";
import { BatchStore, type BatchRowProblemEntry } from "../../store/batch-store.js";
import type { BulkEnqueueItem, RefundProducer } from "../enqueue-refund.js";
import { BatchFileError } from "./batch-file-error.js";
import { generateBatchId } from "./batch-id.js";
import { BatchRefusedError } from "./batch-refused-error.js";
import {
  DEFAULT_BATCH_CHUNK_SIZE,
  type BatchRowProblem,
  type BatchRun,
  type RunBatchOptions,
} from "./batch-run.js";
import {
  classifyRow,
  problemOf,
  usableIdOf,
  type ClassifiedRow,
  type ValidRow,
} from "./classify-rows.js";
import { DuplicateIdIndex, UNSURE, type IdScan } from "./duplicate-id-index.js";
import type { BatchRow } from "./batch-row.js";
import { BatchJournal, type JournalEntry } from "./journal.js";
import { batchFileFormat, readBatchFileBlocks } from "./read-batch-file.js";
import { settleBadRow, settleValidRow, type RunTally } from "./settle-rows.js";

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
  const chunkSize = options.chunkSize ?? DEFAULT_BATCH_CHUNK_SIZE;
  const maxListed = options.maxListedProblems ?? DEFAULT_MAX_LISTED;
  const strict = options.strict === true;
  // Also refuses a missing or unreadable file before anything is stored.
  const before = await fileStamp(path);
  const ids = new FileIds(path, format, before);
  if (strict) {
    await validateWholeFile(path, format, ids, options, maxListed);
    // The second pass must read what the first one checked.
    await ids.checkUnchanged("validated");
    ids.index.clear();
  }

  const journal = await BatchJournal.create(options.journalDir);
  const batches = BatchStore.of(producer.store);
  const run: BatchRun = {
    batchId,
    file: path,
    format,
    strict,
    ...emptyBatchRowCounts(),
    existingByState: {},
    problems: [],
    elsewhere: { batchIds: [], refundRequestIds: [] },
    journalPath: journal.path,
    dispose: () => journal.dispose(),
  };
  const tally: RunTally = {
    run,
    elsewhereBatches: new Set<string>(),
    report: (problem) => {
      options.onProblem?.(problem);
      if (run.problems.length < maxListed) run.problems.push(problem);
    },
  };

  let chunk: ClassifiedRow[] = [];
  let validInChunk = 0;
  // The metadata is written with the first chunk: a file refused at its header leaves
  // no batch behind.
  let metaStarted = false;
  /** Enqueues and settles one chunk: its journal lines and progress, in file order. */
  const settleChunk = async (rows: readonly ClassifiedRow[], rowsRead: number) => {
    const valid = rows.filter((c): c is ValidRow => c.kind === "valid");
    const results =
      valid.length === 0
        ? []
        : await enqueueChunkDurably(
            producer,
            valid.map((c) => c.request),
            { batchId, chunkSize },
          );
    let v = 0;
    const entries: JournalEntry[] = rows.map((c) =>
      c.kind === "valid" ? settleValidRow(c, results[v++], tally) : settleBadRow(c, tally),
    );
    await journal.append(entries);
    await batches.recordProgress(batchId, rowsRead, rowProblems(entries));
    options.onRowsRead?.(rowsRead);
  };
  // One chunk is enqueued while the next is read and validated: the file's parsing and
  // Redis's work overlap. Chunks are enqueued one after another, in file order.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    const rows = chunk;
    chunk = [];
    validInChunk = 0;
    await inFlight;
    if (!metaStarted) {
      await batches.startRun(batchId, path, format);
      metaStarted = true;
    }
    inFlight = settleChunk(rows, run.rows);
    inFlight.catch(() => undefined); // awaited by the next flush or at the end
  };

  try {
    for await (const rows of readBatchFileBlocks(path, { format })) {
      for (const row of rows) {
        const classified = ids.classify(row);
        const c = classified instanceof Promise ? await classified : classified;
        run.rows += 1;
        chunk.push(c);
        if (c.kind === "valid") validInChunk += 1;
        // Bad rows cost no Redis work, but bound the chunk so memory stays flat anyway.
        if (validInChunk >= chunkSize || chunk.length >= chunkSize * 4) await flush();
      }
    }
    await flush();
    await inFlight;
    await journal.close();
    await batches.finishRun(batchId, run);
  } catch (err) {
    const previous = await inFlight.then(
      () => true,
      () => false,
    );
    // Without strict, every valid row before an unreadable part goes ahead, wherever the
    // chunk boundaries fall; a re-run of the fixed file then finds them as existing.
    if (previous && !strict && err instanceof BatchFileError && chunk.length > 0) {
      await flush().catch(() => undefined);
      await inFlight.catch(() => undefined);
    }
    await journal.dispose();
    if (metaStarted) {
      const reason = err instanceof Error ? err.message : String(err);
      await batches.interruptRun(batchId, run.rows, reason).catch(() => undefined);
    }
    throw err;
  }
  run.elsewhere.batchIds = [...tally.elsewhereBatches];
  return run;
}

/**
 * The first pass of a `strict` run: classifies every row, stores nothing.
 *
 * @throws BatchRefusedError when any row is invalid or repeated.
 */
async function validateWholeFile(
  path: string,
  format: BatchFileFormat,
  ids: FileIds,
  options: RunBatchOptions,
  maxListed: number,
): Promise<void> {
  const counts = { rows: 0, valid: 0, invalid: 0, duplicates: 0 };
  const problems: BatchRowProblem[] = [];
  for await (const rows of readBatchFileBlocks(path, { format })) {
    for (const row of rows) {
      const classified = ids.classify(row);
      const c = classified instanceof Promise ? await classified : classified;
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
  }
  if (counts.invalid + counts.duplicates > 0) throw new BatchRefusedError(counts, problems);
}

/**
 * The duplicate-id check of one file: a {@link DuplicateIdIndex} that, when it meets an
 * id that may repeat, reads the file again (refusing it if it changed meanwhile).
 */
class FileIds {
  readonly index = new DuplicateIdIndex();
  readonly #scan: IdScan;

  constructor(
    readonly path: string,
    format: BatchFileFormat,
    readonly stamp: { size: number; mtimeMs: number },
  ) {
    this.#scan = async function* () {
      try {
        for await (const rows of readBatchFileBlocks(path, { format })) {
          for (const row of rows) yield { id: usableIdOf(row), line: row.line };
        }
      } catch (err) {
        // The run stops at the same unreadable part: the ids before it are what counts.
        if (!(err instanceof BatchFileError)) throw err;
      }
    };
  }

  /**
   * {@link classifyRow}, with the row's id noted in the index (made exact first when the
   * id may repeat). Every row with a usable id claims it, valid or not: an id written
   * twice in one file is ambiguous (which row did the operator mean?), so the later rows
   * are not sent.
   */
  classify(row: BatchRow): ClassifiedRow | Promise<ClassifiedRow> {
    const id = usableIdOf(row);
    if (id === undefined) return classifyRow(row, undefined, undefined);
    const first = this.index.firstSeen(id, row.line);
    // Synchronous unless the file must be read again: no promise per row.
    return first === UNSURE ? this.#resolved(row, id) : classifyRow(row, id, first);
  }

  async #resolved(row: BatchRow, id: string): Promise<ClassifiedRow> {
    await this.index.resolve(this.#scan, row.line);
    await this.checkUnchanged("read");
    return classifyRow(row, id, this.index.firstSeen(id, row.line));
  }

  /** @throws BatchFileError (`io`) when the file changed since the run started. */
  async checkUnchanged(doing: string): Promise<void> {
    const now = await fileStamp(this.path);
    if (now.size !== this.stamp.size || now.mtimeMs !== this.stamp.mtimeMs) {
      throw new BatchFileError(
        "io",
        `"${this.path}" changed while it was being ${doing}: run again`,
      );
    }
  }
}

/** Size and modification time of the file. @throws BatchFileError (`io`) when unreadable. */
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

/** The journal entries of rows that made no refund, as the batch store keeps them. */
function rowProblems(entries: readonly JournalEntry[]): BatchRowProblemEntry[] {
  const out: BatchRowProblemEntry[] = [];
  for (const e of entries) {
    if (e.c === undefined) continue;
    const problem: BatchRowProblemEntry = { line: e.l, kind: e.o, code: e.c, message: e.m ?? "" };
    if (e.id !== undefined) problem.refundRequestId = e.id;
    out.push(problem);
  }
  return out;
}

/** Tries of one chunk whose durability barrier did not hold, before the batch stops. */
const CHUNK_DURABILITY_TRIES = 5;

/**
 * Enqueues one chunk; when Redis does not confirm it durable in time, enqueues it again
 * (idempotent: stored rows come back `existing`), up to {@link CHUNK_DURABILITY_TRIES}
 * times, then fails the batch with that error: a chunk is counted only once durable. A
 * row an earlier try created and the retry finds `existing` is reported `created`: this
 * run made it.
 */
async function enqueueChunkDurably(
  producer: RefundProducer,
  requests: readonly unknown[],
  opts: { batchId: string; chunkSize: number },
): Promise<BulkEnqueueItem[]> {
  // Row index → what an earlier try's create said (over-refund or not).
  const createdBefore = new Map<number, boolean>();
  for (let tryNo = 1; ; tryNo++) {
    try {
      const items = await producer.enqueueBulk(requests, opts);
      return items.map((item) => {
        const overRefund = createdBefore.get(item.index);
        if (item.outcome !== "existing" || overRefund === undefined) return item;
        return { ...item, outcome: overRefund ? "over-refund" : "created" };
      });
    } catch (err) {
      if (!(err instanceof DurabilityTimeoutError) || tryNo >= CHUNK_DURABILITY_TRIES) throw err;
      for (const c of err.created) createdBefore.set(c.index, c.overRefund);
    }
  }
}
