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
}

async function run(req: BatchChildRequest): Promise<number> {
  if (req.mode === "stream") {
    let rows = 0;
    const lines = createInterface({ input: createReadStream(req.file), crlfDelay: Infinity });
    for await (const line of lines) if (line !== "") rows += 1;
    return rows - 1; // header
  }
  // Loaded here, not at the top: the bare reader's RSS must not include them.
  const { createRefundProducer } = await import("../src/producer/enqueue-refund.js");
  const { BatchRefusedError, runBatch } = await import("../src/producer/enqueue-batch.js");
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
}

process.once("message", (req: BatchChildRequest) => {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25);
  const started = performance.now();
  run(req)
    .then((rows) => {
      const elapsedMs = performance.now() - started;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage.rss());
      (globalThis as { gc?: () => void }).gc?.();
      const result: BatchChildResult = {
        rows,
        elapsedMs,
        peakRssBytes: peak,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        heapAfterGcBytes: process.memoryUsage().heapUsed,
      };
      process.send?.(result, () => process.exit(0));
    })
    .catch((err: unknown) => {
      clearInterval(sampler);
      process.send?.({ error: err instanceof Error ? err.message : String(err) }, () =>
        process.exit(1),
      );
    });
});
