/** Where a batch stands: its metadata and its refunds' counts by state. */
import { FINAL_STATES } from "../../domain/refund-state.js";
import { BatchStore, type BatchMeta } from "../../store/batch-store.js";
import type { BatchCounts } from "../../store/refund-store.js";
import type { RefundProducer } from "../enqueue-refund.js";

/** A batch's metadata and its refunds' counts by state. */
export interface BatchInfo {
  batchId: string;
  meta: BatchMeta | null;
  /** Counts by state of the refunds this batch created, plus `total`. */
  counts: BatchCounts;
  /** Refunds this batch created (`counts.total`). */
  total: number;
  /** Of them, those in a final state. */
  final: number;
}

/** Metadata and counts of a batch; null when there is no such batch. */
export async function getBatchInfo(
  producer: RefundProducer,
  batchId: string,
): Promise<BatchInfo | null> {
  const [meta, counts] = await Promise.all([
    BatchStore.of(producer.store).getMeta(batchId),
    producer.getBatch(batchId),
  ]);
  if (meta === null && Object.keys(counts).length === 0) return null;
  return { batchId, meta, counts, total: counts.total ?? 0, final: finalCountOf(counts) };
}

/** Refunds of `counts` in a final state. */
export function finalCountOf(counts: BatchCounts): number {
  let n = 0;
  for (const s of FINAL_STATES) n += counts[s] ?? 0;
  return n;
}
