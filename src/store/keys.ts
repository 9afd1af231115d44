/**
 * Every Redis key of the refund store, in one place (queue names and job ids are in
 * src/jobs/).
 *
 * All keys start with the deployment prefix, which carries a Redis Cluster hash tag
 * (`{gatepay}`, see config.ts): every key one Lua script touches is then in one slot, and
 * BullMQ's own keys (same prefix) are too (DESIGN.md "Scale").
 */

export interface RefundKeys {
  prefix: string;
  record(refundRequestId: string): string;
  order(prepayId: string): string;
  batch(batchId: string): string;
  /** Hash of a batch's metadata (file, times, row counts of its last run). */
  batchMeta(batchId: string): string;
  /** Sorted set of refunds that are not final: score = when the reconciler should look. */
  inflight: string;
  /** Capped stream of every transition. */
  events: string;
  /** Rate limiter state for GATEPAY_MAX_RPS. */
  rateLimit: string;
  /** Lock so one reconciler runs at a time across processes. */
  reconcilerLock: string;
  /** Placeholder key (same slot) for scripts whose batch key is absent. */
  none: string;
  /** Base prefix only, QUEUE_SHARDS > 1: the shard count the deployment was started with. */
  shardCount: string;
  /** Base prefix only, QUEUE_SHARDS > 1: the shard of a refund id (written before its record). */
  shardOf(refundRequestId: string): string;
}

export function refundKeys(prefix: string): RefundKeys {
  return {
    prefix,
    record: (id) => `${prefix}:refund:${id}`,
    order: (prepayId) => `${prefix}:order:${prepayId}`,
    batch: (batchId) => `${prefix}:batch:${batchId}`,
    batchMeta: (batchId) => `${prefix}:batch:${batchId}:meta`,
    inflight: `${prefix}:inflight`,
    events: `${prefix}:events`,
    rateLimit: `${prefix}:ratelimit`,
    reconcilerLock: `${prefix}:reconciler-lock`,
    none: `${prefix}:none`,
    shardCount: `${prefix}:shards`,
    shardOf: (id) => `${prefix}:shard-of:${id}`,
  };
}
