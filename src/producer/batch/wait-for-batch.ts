/**
 * Waiting for a batch: a look at its counts every interval until every refund it covers is
 * final, the wait times out, or it is aborted.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { FINAL_STATES } from "../../domain/refund-state.js";
import type { BatchCounts } from "../../store/refund-store.js";
import type { RefundProducer } from "../enqueue-refund.js";
import { finalCountOf } from "./batch-info.js";
import { DEFAULT_BATCH_CHUNK_SIZE, type BatchRun } from "./batch-run.js";

/** Where a batch stands, as {@link waitForBatch} sees it. */
export interface BatchProgress {
  batchId: string;
  /** Counts by state of the refunds this batch created, plus `total`. */
  counts: BatchCounts;
  /** Refunds this batch created. */
  total: number;
  /** Of them, those in a final state. */
  final: number;
  /**
   * Refunds not final yet among the rows of the file that exist from before outside this
   * batch (counted by their own batches, which may hold more than this file's rows).
   */
  elsewherePending: number;
  /** True when every refund the wait covers is final. */
  done: boolean;
  /** Time since the wait began, ms. */
  elapsedMs: number;
}

/** Options of {@link waitForBatch}. */
export interface WaitForBatchOptions {
  /** Time between two looks at the counts, ms; default 500. */
  intervalMs?: number;
  /** Give up after this long, ms (the result then has `done: false`); default never. */
  timeoutMs?: number;
  /** Stops the wait early (the result then has `done: false`). */
  signal?: AbortSignal;
  /** Called after every look, the last one included. */
  onProgress?: (progress: BatchProgress) => void;
}

/**
 * Waits until every refund of a batch is final (DESIGN.md's final states: succeeded,
 * failed, rejected, dead, stuck). Each look reads the batch's counts hash, kept current
 * by every transition, so it costs one Redis call however large the batch; refunds of
 * the run's file that belong to other batches are followed through those batches' counts
 * (or, for refunds enqueued alone, their records, dropped as they become final).
 *
 * @returns the last progress: `done` is false when the wait timed out or was aborted.
 */
export async function waitForBatch(
  producer: RefundProducer,
  target: string | BatchRun,
  options: WaitForBatchOptions = {},
): Promise<BatchProgress> {
  const batchId = typeof target === "string" ? target : target.batchId;
  const otherBatches = typeof target === "string" ? [] : target.elsewhere.batchIds;
  let loose = typeof target === "string" ? [] : [...target.elsewhere.refundRequestIds];
  const intervalMs = options.intervalMs ?? 500;
  const started = Date.now();
  for (;;) {
    const counts = await producer.getBatch(batchId);
    let elsewherePending = 0;
    for (const other of otherBatches) {
      const c = await producer.getBatch(other);
      elsewherePending += (c.total ?? 0) - finalCountOf(c);
    }
    if (loose.length > 0) {
      const still: string[] = [];
      for (let i = 0; i < loose.length; i += DEFAULT_BATCH_CHUNK_SIZE) {
        const ids = loose.slice(i, i + DEFAULT_BATCH_CHUNK_SIZE);
        const records = await producer.getMany(ids);
        records.forEach((r, j) => {
          if (r && !FINAL_STATES.has(r.state)) still.push(ids[j]!);
        });
      }
      loose = still;
      elsewherePending += loose.length;
    }
    const total = counts.total ?? 0;
    const final = finalCountOf(counts);
    const elapsedMs = Date.now() - started;
    const progress: BatchProgress = {
      batchId,
      counts,
      total,
      final,
      elsewherePending,
      done: final >= total && elsewherePending === 0,
      elapsedMs,
    };
    options.onProgress?.(progress);
    if (progress.done || options.signal?.aborted === true) return progress;
    const left = options.timeoutMs === undefined ? intervalMs : options.timeoutMs - elapsedMs;
    if (left <= 0) return progress;
    try {
      await sleep(Math.min(intervalMs, left), undefined, { signal: options.signal });
    } catch {
      return { ...progress, elapsedMs: Date.now() - started };
    }
  }
}
