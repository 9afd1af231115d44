/**
 * A batch's metadata on Redis (`<prefix>:batch:<id>:meta`, one hash): the file its last
 * run read, when it first and last ran, how far the last run got and its row counts.
 *
 * The counts of the batch's refunds by state are another hash, kept by the refund store's
 * scripts with every transition (RefundStore.batchCounts); this store never touches them.
 */
import type { RedisConnection } from "./redis-connection.js";
import {
  BATCH_ROW_COUNT_FIELDS,
  emptyBatchRowCounts,
  type BatchFileFormat,
  type BatchRowCounts,
} from "../domain/batch.js";
import type { RefundKeys } from "./keys.js";
import type { RefundStore } from "./refund-store.js";

/** A batch's metadata. Row counts are those of its last run. */
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

/** How many row problems of one run are kept for the console (the report has them all). */
export const BATCH_PROBLEMS_KEPT = 1000;

/** A batch row that made no refund, as the console lists it. */
export interface BatchRowProblemEntry {
  line: number;
  /** `invalid`, `duplicate` or `conflict`. */
  kind: string;
  refundRequestId?: string;
  /** Error code (`INVALID_ROW`…) and why. */
  code: string;
  message: string;
}

// `<prefix>:batch:<id>:problems`: a list of JSON entries, cleared when a run starts.
function batchProblemsKey(keys: RefundKeys, batchId: string): string {
  return `${keys.batch(batchId)}:problems`;
}

/** Reads and writes batch metadata; one instance serves every batch of a prefix. */
export class BatchStore {
  readonly #redis: RedisConnection;
  readonly #keys: RefundKeys;
  readonly #now: () => number;

  /** `now`: the clock of the metadata's times, epoch ms; default `Date.now`. */
  constructor(redis: RedisConnection, keys: RefundKeys, now: () => number = Date.now) {
    this.#redis = redis;
    this.#keys = keys;
    this.#now = now;
  }

  /** The batch store beside a refund store: same connection, prefix and clock. */
  static of(store: RefundStore): BatchStore {
    return new BatchStore(store.redis, store.keys, () => store.now());
  }

  /**
   * A run over `file` starts: counts a run, notes the time (and the batch's creation
   * time on its first run), and clears what the previous run left (its counts, its error).
   */
  async startRun(batchId: string, file: string, format: BatchFileFormat): Promise<void> {
    const key = this.#keys.batchMeta(batchId);
    const nowMs = this.#now();
    const at = new Date(nowMs).toISOString();
    await this.#redis
      .multi()
      // The index the console lists batches from; NX keeps the first run's time.
      .zadd(this.#keys.batches, "NX", nowMs, batchId)
      .hsetnx(key, "createdAt", at)
      .hset(key, { file, format, lastRunAt: at, status: "enqueuing", rowsRead: 0 })
      .hdel(key, "error", ...BATCH_ROW_COUNT_FIELDS)
      .del(batchProblemsKey(this.#keys, batchId))
      .hincrby(key, "runs", 1)
      .exec();
  }

  /**
   * The running run has read `rowsRead` rows; `problems` are rows of the last chunk that
   * made no refund (invalid, duplicate, conflict), kept (the first
   * {@link BATCH_PROBLEMS_KEPT} of the run) for the console. One round trip.
   */
  async recordProgress(
    batchId: string,
    rowsRead: number,
    problems: readonly BatchRowProblemEntry[] = [],
  ): Promise<void> {
    const multi = this.#redis.multi().hset(this.#keys.batchMeta(batchId), "rowsRead", rowsRead);
    if (problems.length > 0) {
      const key = batchProblemsKey(this.#keys, batchId);
      multi
        .rpush(key, ...problems.map((p) => JSON.stringify(p)))
        .ltrim(key, 0, BATCH_PROBLEMS_KEPT - 1);
    }
    await multi.exec();
  }

  /** The rows of the last run that made no refund, in file order (at most {@link BATCH_PROBLEMS_KEPT}). */
  async getProblems(batchId: string): Promise<BatchRowProblemEntry[]> {
    const raw = await this.#redis.lrange(batchProblemsKey(this.#keys, batchId), 0, -1);
    return raw.map((json) => JSON.parse(json) as BatchRowProblemEntry);
  }

  /** The run read the whole file: its counts. */
  async finishRun(batchId: string, counts: BatchRowCounts): Promise<void> {
    const fields = Object.fromEntries(BATCH_ROW_COUNT_FIELDS.map((k) => [k, counts[k]]));
    await this.#redis.hset(this.#keys.batchMeta(batchId), {
      ...fields,
      rowsRead: counts.rows,
      status: "enqueued",
    });
  }

  /** The run stopped after `rowsRead` rows, for `error`. */
  async interruptRun(batchId: string, rowsRead: number, error: string): Promise<void> {
    await this.#redis.hset(this.#keys.batchMeta(batchId), {
      rowsRead,
      status: "interrupted",
      error,
    });
  }

  /** The batch's metadata, or null when no run ever started under this id. */
  async getMeta(batchId: string): Promise<BatchMeta | null> {
    const raw = await this.#redis.hgetall(this.#keys.batchMeta(batchId));
    return Object.keys(raw).length === 0 ? null : parseMeta(raw);
  }
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
    ...emptyBatchRowCounts(),
  };
  for (const k of BATCH_ROW_COUNT_FIELDS) meta[k] = Number(raw[k] ?? 0);
  if (raw["error"] !== undefined) meta.error = raw["error"];
  return meta;
}
