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
 *
 * Shards (QUEUE_SHARDS > 1, refund-shards.ts): records, the events stream, the attention
 * index and batch counts are per shard, and every query here reads every shard and merges
 * (counts summed, lists in the same order as one shard's, caps over the whole); the walks
 * visit every server (console-scan.ts). Batch metadata and unmatched notifications stay
 * under the base prefix. A look-up by id reads the record's own shard.
 */
import type { RefundRecord } from "../domain/refund-record.js";
import { FINAL_STATES, type RefundState } from "../domain/refund-state.js";
import { BatchStore, type BatchMeta, type BatchRowProblemEntry } from "./batch-store.js";
import { recordPages } from "./console-scan.js";
import type { RefundShards } from "./refund-shards.js";
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

/** The console's queries over one deployment prefix, every shard of it. */
export class ConsoleQueries {
  readonly #shards: RefundShards;
  readonly #base: RefundStore;
  readonly #batches: BatchStore;

  constructor(shards: RefundShards) {
    this.#shards = shards;
    this.#base = shards.base;
    this.#batches = BatchStore.of(shards.base);
  }

  /**
   * Counts records by state, walking at most `maxRecords` record keys (default 100,000);
   * notes up to `listLimit` (default 200) dead and stuck ids on the way.
   */
  async countByState(maxRecords = 100_000, listLimit = 200): Promise<StateCounts> {
    const out: StateCounts = { counts: {}, scanned: 0, partial: false, dead: [], stuck: [] };
    for await (const page of recordPages(this.#shards)) {
      const found = await Promise.all(
        [...page.byShard].map(async ([shard, ids]) => {
          const store = this.#shards.stores[shard]!;
          const pipeline = store.redis.pipeline();
          for (const id of ids) pipeline.hget(store.keys.record(id), "st");
          return { ids, results: (await pipeline.exec()) ?? [] };
        }),
      );
      for (const { ids, results } of found) {
        results.forEach(([err, st], i) => {
          if (err || typeof st !== "string") return;
          const state = st as RefundState;
          out.counts[state] = (out.counts[state] ?? 0) + 1;
          out.scanned += 1;
          if (state === "dead" && out.dead.length < listLimit) out.dead.push(ids[i]!);
          if (state === "stuck" && out.stuck.length < listLimit) out.stuck.push(ids[i]!);
        });
      }
      if (out.scanned >= maxRecords && !page.last) {
        out.partial = true;
        break;
      }
    }
    return out;
  }

  /**
   * Refunds that reached a final state per minute over the last `minutes` minutes
   * (default 60), oldest first, from the events streams (entry ids are arrival times).
   * Reads at most `maxEntries` events (default 200,000), an equal share from each shard.
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
    const share = Math.ceil(maxEntries / this.#shards.count);
    await Promise.all(
      this.#shards.stores.map(async (store) => {
        let start = `${firstStart}-0`;
        let read = 0;
        while (read < share) {
          const page = await store.redis.xrange(store.keys.events, start, "+", "COUNT", 1000);
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
      }),
    );
    return buckets;
  }

  /** The attention index of every shard, newest first, with each refund's record. */
  async attention(limit = 200): Promise<AttentionItem[]> {
    const entries = await this.#shards.attentionIndex(limit);
    const records = await this.#shards.recordsOf(entries);
    // The note rides in the record (`attention`); a hash field of that name beside `rec`
    // is read too, whichever way the writer keeps it.
    const fields = await Promise.all(
      entries.map(({ shard, refundRequestId }) => {
        const store = this.#shards.stores[shard]!;
        return store.redis.hget(store.keys.record(refundRequestId), "attention");
      }),
    );
    return entries.map(({ refundRequestId, atMs }, i) => {
      const record = records[i] ?? null;
      const item: AttentionItem = { refundRequestId, atMs, record };
      const field = fields[i];
      const attention =
        attentionOf(record) ??
        (typeof field === "string" ? attentionOf({ attention: parseJson(field) }) : undefined);
      if (attention) item.attention = attention;
      return item;
    });
  }

  /** GatePay notifications that matched no refund, newest first (base prefix). */
  async unmatchedNotifications(limit = 100): Promise<UnmatchedNotification[]> {
    const page = await this.#base.redis.xrevrange(
      this.#base.keys.unmatchedNotifications,
      "+",
      "-",
      "COUNT",
      limit,
    );
    return page.map(([id, flat]) => ({ id, fields: pairs(flat) }));
  }

  /** Batches, newest first, with their metadata and counts by state. */
  async listBatches(limit = 50): Promise<BatchSummary[]> {
    const flat = await this.#base.redis.zrevrange(
      this.#base.keys.batches,
      0,
      limit - 1,
      "WITHSCORES",
    );
    const out: BatchSummary[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const batchId = flat[i]!;
      out.push({ ...(await this.batch(batchId)), createdAtMs: Number(flat[i + 1]) });
    }
    return out;
  }

  /**
   * One batch: metadata (null for a batch never run by the batch command) and counts,
   * summed over the shards.
   */
  async batch(batchId: string): Promise<BatchSummary> {
    const [meta, counts] = await Promise.all([
      this.#batches.getMeta(batchId),
      this.#shards.batchCounts(batchId),
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
    const out: RefundRecord[] = [];
    let walked = 0;
    for await (const page of recordPages(this.#shards)) {
      const parts = await Promise.all(
        [...page.byShard].map(([shard, ids]) => {
          walked += ids.length;
          return this.#shards.stores[shard]!.getMany(ids);
        }),
      );
      for (const record of parts.flat()) {
        if (record?.batchId === batchId) out.push(record);
      }
      if (walked >= maxRecords) break;
    }
    return out.sort((a, b) => (a.refundRequestId < b.refundRequestId ? -1 : 1));
  }

  /** The record and the id of the job that drives it now (null when none was noted). */
  async refund(
    refundRequestId: string,
  ): Promise<{ record: RefundRecord; driverJobId: string | null } | null> {
    const store = await this.#shards.storeOf(refundRequestId);
    if (!store) return null;
    const [record, driverJobId] = await Promise.all([
      store.get(refundRequestId),
      store.getDriver(refundRequestId),
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
