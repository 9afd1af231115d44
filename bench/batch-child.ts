/**
 * Child-process entry for the batch benchmarks, so each run's resident memory is its own:
 * - `batch`: `runBatch` over a file, enqueuing every row (what `batch FILE` does);
 * - `validate`: `runBatch` in strict mode over a file whose last row is invalid: every
 *   row is streamed, parsed, validated and checked for repeats, then the file is refused
 *   and nothing is stored — the reading side of `batch FILE` alone, at any file size;
 * - `stream`: a bare baseline that reads the same file line by line and counts lines.
 *
 * Sends `{ rows, elapsedMs, peakRssBytes, maxRssBytes, heapAfterGcBytes }` to the parent.
 * Peak RSS is sampled every 25 ms; `maxRssBytes` is the kernel's high-water mark
 * (getrusage); `heapAfterGcBytes` is the V8 heap still in use after a full collection at
 * the end (run with `--expose-gc`): what the run retained, as opposed to what the
 * collector had not yet reclaimed.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** What the parent asks for. */
export interface BatchChildRequest {
  mode: "batch" | "validate" | "stream";
  file: string;
  redisUrl: string;
  prefix: string;
}

/** What the child answers. */
export interface BatchChildResult {
  rows: number;
  elapsedMs: number;
  peakRssBytes: number;
  maxRssBytes: number;
  heapAfterGcBytes: number;
  /** CPU of this process over the timed run (user + system), ms. */
  cpuMs: number;
}

/** Loads what `req` needs (not timed) and returns the timed run. */
async function prepare(req: BatchChildRequest): Promise<() => Promise<number>> {
  if (req.mode === "stream") {
    return async () => {
      let rows = 0;
      const lines = createInterface({ input: createReadStream(req.file), crlfDelay: Infinity });
      for await (const line of lines) if (line !== "") rows += 1;
      return rows - 1; // header
    };
  }
  // Loaded here, not at the top: the bare reader's RSS must not include them.
  const { createRefundProducer } = await import("../src/producer/enqueue-refund.js");
  const { BatchRefusedError, runBatch } = await import("../src/producer/batch/index.js");
  return async () => {
    const producer = createRefundProducer({ redisUrl: req.redisUrl, prefix: req.prefix });
    try {
      const result = await runBatch(producer, req.file, {
        batchId: "bench",
        strict: req.mode === "validate",
      });
      await result.dispose();
      return result.rows;
    } catch (err) {
      if (req.mode === "validate" && err instanceof BatchRefusedError) return err.counts.rows;
      throw err;
    } finally {
      await producer.close();
    }
  };
}

async function measured(req: BatchChildRequest): Promise<BatchChildResult> {
  const run = await prepare(req);
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25);
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    const rows = await run();
    const elapsedMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    peak = Math.max(peak, process.memoryUsage.rss());
    (globalThis as { gc?: () => void }).gc?.();
    return {
      rows,
      elapsedMs,
      peakRssBytes: peak,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      heapAfterGcBytes: process.memoryUsage().heapUsed,
      cpuMs: (used.user + used.system) / 1000,
    };
  } finally {
    clearInterval(sampler);
  }
}

process.once("message", (req: BatchChildRequest) => {
  measured(req)
    .then((result) => process.send?.(result, () => process.exit(0)))
    .catch((err: unknown) => {
      process.send?.({ error: err instanceof Error ? err.message : String(err) }, () =>
        process.exit(1),
      );
    });
});
