/**
 * The operator console's reads (src/http/console/): counts by state, refunds finalised
 * per minute, batches, and what waits for a human. Read-only: nothing here writes, so a
 * console page can never move money or change a record. Only store/ talks to Redis.
 *
 * Keys read besides the refund store's own (keys.ts):
 * - `<prefix>:attention`: sorted set of refundRequestIds that need a human (a late
 *   success after a refusal, a conflicting answer…), score = when, epoch ms; the record
 *   carries `attention: { code, at, detail }` (written by the worker, not here);
 * - `<prefix>:unmatched-notifications`: stream of GatePay notifications for refunds this
 *   deployment does not know.
 *
 * Counting by state walks the record keys (SCAN, `st` field) up to a cap, because no
 * global counter exists; the answer says when the cap cut it short.
 */
import type { RedisConnection as Redis } from "./redis-connection.js";
import type { RefundRecord } from "../domain/refund-record.js";
import { FINAL_STATES, type RefundState } from "../domain/refund-state.js";
import { BatchStore, type BatchMeta, type BatchRowProblemEntry } from "./batch-store.js";
import type { BatchCounts, RefundStore } from "./refund-store.js";

/** Counts of refunds by state from a walk over the record keys. */
export interface StateCounts {
  counts: Partial<Record<RefundState, number>>;
  /** Records looked at. */
  scanned: number;
  /** True when the walk stopped at the cap: the counts are a lower bound. */
  partial: boolean;
  /** Ids of `dead` and `stuck` refunds met on the walk (at most `listLimit` each). */
  dead: string[];
  stuck: string[];
}

/** Refunds that reached a final state in one minute. */
export interface MinuteBucket {
  /** Start of the minute, epoch ms. */
  startMs: number;
  count: number;
}

/** One entry of the attention index. */
export interface AttentionItem {
  refundRequestId: string;
  /** When it was flagged, epoch ms. */
  atMs: number;
  record: RefundRecord | null;
  attention?: { code: string; at?: string; detail?: string };
}

/** One GatePay notification that matched no refund. */
export interface UnmatchedNotification {
  /** Stream entry id (its first part is the arrival time, epoch ms). */
  id: string;
  fields: Record<string, string>;
}

/** One batch as the console lists it. */
export interface BatchSummary {
  batchId: string;
  createdAtMs: number;
  meta: BatchMeta | null;
  counts: BatchCounts;
}

const FINAL: ReadonlySet<string> = new Set(FINAL_STATES);

/** The console's queries over one deployment prefix. */
export class ConsoleQueries {
  readonly #store: RefundStore;
  readonly #redis: Redis;
  readonly #batches: BatchStore;

  constructor(store: RefundStore) {
    this.#store = store;
    this.#redis = store.redis;
    this.#batches = BatchStore.of(store);
  }

  get #prefix(): string {
    return this.#store.keys.prefix;
  }

  /**
   * Counts records by state, walking at most `maxRecords` record keys (default 100,000);
   * notes up to `listLimit` (default 200) dead and stuck ids on the way.
   */
  async countByState(maxRecords = 100_000, listLimit = 200): Promise<StateCounts> {
    const out: StateCounts = { counts: {}, scanned: 0, partial: false, dead: [], stuck: [] };
    const recordPrefix = this.#store.keys.record("");
    const match = `${escapeGlob(recordPrefix)}*`;
    let cursor = "0";
    do {
      const [next, keys] = await this.#redis.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const pipeline = this.#redis.pipeline();
      for (const key of keys) pipeline.hget(key, "st");
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([err, st], i) => {
        if (err || typeof st !== "string") return;
        const state = st as RefundState;
        out.counts[state] = (out.counts[state] ?? 0) + 1;
        out.scanned += 1;
        const id = keys[i]!.slice(recordPrefix.length);
        if (state === "dead" && out.dead.length < listLimit) out.dead.push(id);
        if (state === "stuck" && out.stuck.length < listLimit) out.stuck.push(id);
      });
      if (out.scanned >= maxRecords && cursor !== "0") {
        out.partial = true;
        break;
      }
    } while (cursor !== "0");
    return out;
  }

  /**
   * Refunds that reached a final state per minute over the last `minutes` minutes
   * (default 60), oldest first, from the events stream (entry ids are arrival times).
   * Reads at most `maxEntries` events (default 200,000).
   */
  async finalisedPerMinute(
    nowMs: number,
    minutes = 60,
    maxEntries = 200_000,
  ): Promise<MinuteBucket[]> {
    const minuteMs = 60_000;
    const lastStart = Math.floor(nowMs / minuteMs) * minuteMs;
    const firstStart = lastStart - (minutes - 1) * minuteMs;
    const buckets: MinuteBucket[] = [];
    for (let i = 0; i < minutes; i++)
      buckets.push({ startMs: firstStart + i * minuteMs, count: 0 });
    let start = `${firstStart}-0`;
    let read = 0;
    while (read < maxEntries) {
      const page = await this.#redis.xrange(this.#store.keys.events, start, "+", "COUNT", 1000);
      for (const [id, flat] of page) {
        const fields = pairs(flat);
        if (FINAL.has(fields["state"] ?? "") && !FINAL.has(fields["from"] ?? "")) {
          const index = Math.floor((streamIdMs(id) - firstStart) / minuteMs);
          const bucket = buckets[index];
          if (bucket) bucket.count += 1;
        }
      }
      read += page.length;
      if (page.length < 1000) break;
      start = `(${page[page.length - 1]![0]}`;
    }
    return buckets;
  }

  /** The attention index, newest first, with each refund's record. */
  async attention(limit = 200): Promise<AttentionItem[]> {
    const flat = await this.#redis.zrevrange(
      `${this.#prefix}:attention`,
      0,
      limit - 1,
      "WITHSCORES",
    );
    const ids: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      ids.push(flat[i]!);
      scores.push(Number(flat[i + 1]));
    }
    const records = await this.#store.getMany(ids);
    // The note rides in the record (`attention`); a hash field of that name beside `rec`
    // is read too, whichever way the writer keeps it.
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hget(this.#store.keys.record(id), "attention");
    const fields = (await pipeline.exec()) ?? [];
    return ids.map((refundRequestId, i) => {
      const record = records[i] ?? null;
      const item: AttentionItem = { refundRequestId, atMs: scores[i]!, record };
      const field = fields[i]?.[1];
      const attention =
        attentionOf(record) ??
        (typeof field === "string" ? attentionOf({ attention: parseJson(field) }) : undefined);
      if (attention) item.attention = attention;
      return item;
    });
  }

  /** GatePay notifications that matched no refund, newest first. */
  async unmatchedNotifications(limit = 100): Promise<UnmatchedNotification[]> {
    const page = await this.#redis.xrevrange(
      `${this.#prefix}:unmatched-notifications`,
      "+",
      "-",
      "COUNT",
      limit,
    );
    return page.map(([id, flat]) => ({ id, fields: pairs(flat) }));
  }

  /** Batches, newest first, with their metadata and counts by state. */
  async listBatches(limit = 50): Promise<BatchSummary[]> {
    const flat = await this.#redis.zrevrange(this.#store.keys.batches, 0, limit - 1, "WITHSCORES");
    const out: BatchSummary[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const batchId = flat[i]!;
      out.push({ ...(await this.batch(batchId)), createdAtMs: Number(flat[i + 1]) });
    }
    return out;
  }

  /** One batch: metadata (null for a batch never run by the batch command) and counts. */
  async batch(batchId: string): Promise<BatchSummary> {
    const [meta, counts] = await Promise.all([
      this.#batches.getMeta(batchId),
      this.#store.batchCounts(batchId),
    ]);
    const createdAtMs = meta ? Date.parse(meta.createdAt) : Number.NaN;
    return { batchId, createdAtMs, meta, counts };
  }

  /** The rows of a batch's last run that made no refund (batch-store.ts). */
  batchProblems(batchId: string): Promise<BatchRowProblemEntry[]> {
    return this.#batches.getProblems(batchId);
  }

  /**
   * The records of one batch, walking at most `maxRecords` record keys (default 100,000),
   * sorted by refundRequestId: the console's report download.
   */
  async batchRecords(batchId: string, maxRecords = 100_000): Promise<RefundRecord[]> {
    const recordPrefix = this.#store.keys.record("");
    const match = `${escapeGlob(recordPrefix)}*`;
    const out: RefundRecord[] = [];
    let walked = 0;
    let cursor = "0";
    do {
      const [next, keys] = await this.#redis.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      walked += keys.length;
      const ids = keys.map((k) => k.slice(recordPrefix.length));
      for (const record of await this.#store.getMany(ids)) {
        if (record?.batchId === batchId) out.push(record);
      }
    } while (cursor !== "0" && walked < maxRecords);
    return out.sort((a, b) => (a.refundRequestId < b.refundRequestId ? -1 : 1));
  }

  /** The record and the id of the job that drives it now (null when none was noted). */
  async refund(
    refundRequestId: string,
  ): Promise<{ record: RefundRecord; driverJobId: string | null } | null> {
    const [record, driverJobId] = await Promise.all([
      this.#store.get(refundRequestId),
      this.#store.getDriver(refundRequestId),
    ]);
    return record ? { record, driverJobId } : null;
  }
}

function attentionOf(holder: object | null): AttentionItem["attention"] {
  const raw = (holder as { attention?: unknown } | null)?.attention;
  if (typeof raw !== "object" || raw === null) return undefined;
  const a = raw as Record<string, unknown>;
  const out: NonNullable<AttentionItem["attention"]> = { code: text(a["code"]) };
  if (a["at"] !== undefined) out.at = text(a["at"]);
  if (a["detail"] !== undefined) {
    out.detail = typeof a["detail"] === "string" ? a["detail"] : JSON.stringify(a["detail"]);
  }
  return out;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { code: s };
  }
}

function text(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? "");
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

function streamIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** Escapes Redis glob characters so a prefix matches itself only. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}
