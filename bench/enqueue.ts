/**
 * Enqueue rate and batch-file memory.
 *
 * Rate: 100,000 refunds (BENCH_ENQUEUE) through bare `Queue.addBulk` (the baseline: one
 * job per refund, chunks of 500, no record), the producer's `enqueueBulk` (validation,
 * reservation, record, event, submit job), and `runBatch` over a CSV file of the same
 * refunds (what `gatepay-refunds batch FILE` does: stream, validate, de-duplicate,
 * enqueue, journal), each on an empty Redis.
 *
 * Memory: peak RSS of a process reading a 1,000,000-row file, against the same process at
 * a tenth of the rows and against a bare line reader. By default the 1,000,000-row run is
 * the reading side (`validate`: strict mode over a file whose last row is invalid, so all
 * rows are parsed, validated and checked for repeats and nothing is stored); full enqueue
 * runs (BENCH_RSS_ENQUEUE_ROWS) compare 100,000 and 1,000,000 rows by default.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { csvLine } from "../src/csv.js";
import { parseRefundRequest } from "../src/domain/refund-request.js";
import { ORDER_REFUND_FIELDS } from "../src/domain/refund-fields.js";
import { createRefundProducer } from "../src/producer/enqueue-refund.js";
import type { BatchChildRequest, BatchChildResult } from "./batch-child.js";
import { forkOnce } from "./fork-once.js";
import type { BenchRedis } from "./redis-server.js";
import { redisCpuSeconds } from "./redis-stats.js";
import { makeRefunds } from "./refunds.js";
import { median } from "./stats.js";
import { createSystemProducer, type SystemMode } from "./system.js";

/** One enqueue measurement. */
export interface EnqueueMeasure {
  name: "Queue.addBulk (baseline)" | "enqueueBulk" | "batch FILE (runBatch)";
  refunds: number;
  /** Median over the runs, refunds per second. */
  perSecond: number;
  runs: number[];
  /** Median redis-server CPU per refund (INFO cpu), µs. */
  redisCpuUs: number;
  redisCpuRuns: number[];
  /** Median producer-process CPU per refund, µs. */
  producerCpuUs: number;
  producerCpuRuns: number[];
  /**
   * enqueueBulk only: its records alone (the create script over the same refunds, already
   * validated, no jobs), medians of redis-server and producer CPU per refund, µs.
   */
  records?: { redisCpuUs: number; producerCpuUs: number };
}

/** One batch-file memory measurement. */
export interface RssMeasure {
  mode: BatchChildRequest["mode"];
  rows: number;
  elapsedMs: number;
  peakRssBytes: number;
  maxRssBytes: number;
  /** V8 heap in use after a full collection at the end, bytes. */
  heapAfterGcBytes: number;
}

/** Writes a CSV batch file of `rows` order refunds; with `badLast`, a last invalid row. */
export async function writeBatchCsv(path: string, rows: number, badLast = false): Promise<void> {
  const out = createWriteStream(path, { encoding: "utf8" });
  out.write(`${csvLine(ORDER_REFUND_FIELDS)}\n`);
  const tag = `f${rows}`;
  let text = "";
  for (let i = 0; i < rows; i++) {
    text += `${csvLine([`${tag}r${i}`, `${tag}p${i}`, "12.50", "customer return"])}\n`;
    if (text.length > 1 << 16) {
      if (!out.write(text)) await once(out, "drain");
      text = "";
    }
  }
  if (badLast) text += `${csvLine(["not an id!", "p", "12.505", ""])}\n`;
  out.end(text);
  await once(out, "finish");
}

/** Enqueues `count` refunds through `mode` on an emptied Redis: rate and Redis CPU per refund. */
async function timeEnqueue(
  redis: BenchRedis,
  admin: Redis,
  mode: SystemMode,
  count: number,
): Promise<{ perSecond: number; redisCpuUs: number; producerCpuUs: number }> {
  await admin.flushall();
  const producer = await createSystemProducer(mode, {
    redisUrl: redis.url,
    prefix: "{bench-enq}",
    sandboxUrl: "http://127.0.0.1:1",
    concurrency: 1,
  });
  const refunds = makeRefunds("E", count);
  try {
    const cpuBefore = await redisCpuSeconds(admin);
    const own = process.cpuUsage();
    const started = performance.now();
    await producer.enqueue(refunds);
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(own);
    const cpu = (await redisCpuSeconds(admin)) - cpuBefore;
    return {
      perSecond: (count * 1000) / elapsed,
      redisCpuUs: (cpu * 1e6) / count,
      producerCpuUs: (used.user + used.system) / count,
    };
  } finally {
    await producer.close();
  }
}

/**
 * What enqueueBulk's records cost alone: the producer's `createMany` (the create script,
 * 100 refunds per call) over `count` refunds validated beforehand, in chunks of 500, with
 * no jobs. CPU per refund of redis-server and of this process.
 */
async function timeRecords(
  redis: BenchRedis,
  admin: Redis,
  count: number,
): Promise<{ redisCpuUs: number; producerCpuUs: number }> {
  await admin.flushall();
  const producer = createRefundProducer({ redisUrl: redis.url, prefix: "{bench-enq}" });
  const requests = makeRefunds("E", count).map((r) => parseRefundRequest(r));
  try {
    await producer.ready();
    const cpuBefore = await redisCpuSeconds(admin);
    const own = process.cpuUsage();
    for (let i = 0; i < count; i += 500) {
      await producer.shards.createMany(requests.slice(i, i + 500));
    }
    const used = process.cpuUsage(own);
    const cpu = (await redisCpuSeconds(admin)) - cpuBefore;
    return { redisCpuUs: (cpu * 1e6) / count, producerCpuUs: (used.user + used.system) / count };
  } finally {
    await producer.close();
  }
}

async function batchChild(req: BatchChildRequest): Promise<BatchChildResult> {
  return forkOnce<BatchChildResult>("./batch-child.ts", req, { execArgv: ["--expose-gc"] });
}

/** Options of {@link runEnqueue}. */
export interface EnqueueOptions {
  redis: BenchRedis;
  refunds: number;
  runs: number;
  log?: (line: string) => void;
}

/** Enqueue rates: baseline, enqueueBulk, batch FILE (median of `runs` each, interleaved). */
export async function runEnqueue(o: EnqueueOptions): Promise<EnqueueMeasure[]> {
  const dir = await mkdtemp(join(tmpdir(), "gatepay-bench-"));
  const file = join(dir, "refunds.csv");
  await writeBatchCsv(file, o.refunds);
  const results: EnqueueMeasure[] = [
    {
      name: "Queue.addBulk (baseline)",
      refunds: o.refunds,
      perSecond: 0,
      runs: [],
      redisCpuUs: 0,
      redisCpuRuns: [],
      producerCpuUs: 0,
      producerCpuRuns: [],
    },
    {
      name: "enqueueBulk",
      refunds: o.refunds,
      perSecond: 0,
      runs: [],
      redisCpuUs: 0,
      redisCpuRuns: [],
      producerCpuUs: 0,
      producerCpuRuns: [],
    },
    {
      name: "batch FILE (runBatch)",
      refunds: o.refunds,
      perSecond: 0,
      runs: [],
      redisCpuUs: 0,
      redisCpuRuns: [],
      producerCpuUs: 0,
      producerCpuRuns: [],
    },
  ];
  const admin = new Redis(o.redis.url);
  const records: { redisCpuUs: number; producerCpuUs: number }[] = [];
  try {
    for (let r = 0; r < o.runs; r++) {
      for (const [i, mode] of [
        [0, "baseline"],
        [1, "pipeline"],
      ] as const) {
        const t = await timeEnqueue(o.redis, admin, mode, o.refunds);
        results[i]!.runs.push(t.perSecond);
        results[i]!.redisCpuRuns.push(t.redisCpuUs);
        results[i]!.producerCpuRuns.push(t.producerCpuUs);
      }
      records.push(await timeRecords(o.redis, admin, o.refunds));
      await admin.flushall();
      const cpuBefore = await redisCpuSeconds(admin);
      const b = await batchChild({
        mode: "batch",
        file,
        redisUrl: o.redis.url,
        prefix: "{bench-enq}",
      });
      const cpu = (await redisCpuSeconds(admin)) - cpuBefore;
      if (b.rows !== o.refunds) throw new Error(`batch read ${b.rows} rows, expected ${o.refunds}`);
      results[2]!.runs.push((b.rows * 1000) / b.elapsedMs);
      results[2]!.redisCpuRuns.push((cpu * 1e6) / o.refunds);
      results[2]!.producerCpuRuns.push((b.cpuMs * 1000) / o.refunds);
      o.log?.(
        `  enqueue run ${r + 1}: ${results.map((x) => `${x.name} ${x.runs.at(-1)!.toFixed(0)}/s`).join(", ")}`,
      );
    }
  } finally {
    await admin.flushall();
    admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
  for (const m of results) {
    m.perSecond = median(m.runs);
    m.redisCpuUs = median(m.redisCpuRuns);
    m.producerCpuUs = median(m.producerCpuRuns);
  }
  results[1]!.records = {
    redisCpuUs: median(records.map((x) => x.redisCpuUs)),
    producerCpuUs: median(records.map((x) => x.producerCpuUs)),
  };
  return results;
}

/** Options of {@link runBatchMemory}. */
export interface BatchMemoryOptions {
  redis: BenchRedis;
  /** Rows of the large reading-side file; default 1,000,000. */
  largeRows: number;
  /** Full-enqueue file sizes to compare (each on an empty Redis). */
  enqueueRows: readonly number[];
  log?: (line: string) => void;
}

/** Peak RSS of the reading side at two sizes, of full enqueues, and of a bare reader. */
export async function runBatchMemory(o: BatchMemoryOptions): Promise<RssMeasure[]> {
  const dir = await mkdtemp(join(tmpdir(), "gatepay-bench-"));
  const admin = new Redis(o.redis.url);
  const out: RssMeasure[] = [];
  const measure = async (mode: BatchChildRequest["mode"], rows: number): Promise<void> => {
    const file = join(dir, `${mode === "batch" ? "ok" : "bad"}-${rows}.csv`);
    await writeBatchCsv(file, rows, mode !== "batch");
    await admin.flushall();
    const r = await batchChild({ mode, file, redisUrl: o.redis.url, prefix: "{bench-rss}" });
    await rm(file, { force: true });
    out.push({
      mode,
      rows,
      elapsedMs: r.elapsedMs,
      peakRssBytes: r.peakRssBytes,
      maxRssBytes: r.maxRssBytes,
      heapAfterGcBytes: r.heapAfterGcBytes,
    });
    o.log?.(
      `  rss ${mode} ${rows} rows: peak ${(r.peakRssBytes / 2 ** 20).toFixed(1)} MiB, heap after gc ${(r.heapAfterGcBytes / 2 ** 20).toFixed(1)} MiB, in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    );
  };
  try {
    const small = Math.max(1_000, Math.round(o.largeRows / 10));
    await measure("stream", small);
    await measure("stream", o.largeRows);
    await measure("validate", small);
    await measure("validate", o.largeRows);
    for (const rows of o.enqueueRows) await measure("batch", rows);
  } finally {
    await admin.flushall();
    admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
