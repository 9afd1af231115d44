/**
 * Every Redis key of the refund store, in one place (queue names and job ids are in
 * src/jobs/).
 *
 * All keys start with the deployment prefix, which carries a Redis Cluster hash tag
 * (`{gatepay}`, see config.ts): every key one Lua script touches is then in one slot, and
 * BullMQ's own keys (same prefix) are too (DESIGN.md "Scale").
 */

import { normalizeQueuePrefix } from "../domain/queue-prefix.js";

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
  /**
   * Sorted set of refunds whose terminal record GatePay contradicts (record field
   * `attention`): score = when it was noted (epoch ms). Read by the operator console.
   */
  attention: string;
  /** Capped stream of GatePay notifications for refunds this deployment does not know. */
  unmatchedNotifications: string;
  /** Rate limiter state for GATEPAY_MAX_RPS. */
  rateLimit: string;
  /** Lock so one reconciler runs at a time across processes. */
  reconcilerLock: string;
  /** Placeholder key (same slot) for scripts whose batch key is absent. */
  none: string;
  /** Sorted set of batch ids, score = first run's time (epoch ms): the console's list. */
  batches: string;
  /** Counter the durability barrier writes before WAIT/WAITAOF (src/store/durability.ts). */
  durabilityMarker: string;
  /** Base prefix only, QUEUE_SHARDS > 1: the shard count the deployment was started with. */
  shardCount: string;
  /** Base prefix only, QUEUE_SHARDS > 1: the shard of a refund id (written before its record). */
  shardOf(refundRequestId: string): string;
}

/**
 * The keys under a deployment prefix, normalised by the one rule (`gatepay` → `{gatepay}`,
 * src/domain/queue-prefix.ts); a malformed prefix throws `QueuePrefixError`.
 */
export function refundKeys(queuePrefix: string): RefundKeys {
  const prefix = normalizeQueuePrefix(queuePrefix);
  return {
    prefix,
    record: (id) => `${prefix}:refund:${id}`,
    order: (prepayId) => `${prefix}:order:${prepayId}`,
    batch: (batchId) => `${prefix}:batch:${batchId}`,
    batchMeta: (batchId) => `${prefix}:batch:${batchId}:meta`,
    inflight: `${prefix}:inflight`,
    events: `${prefix}:events`,
    attention: `${prefix}:attention`,
    unmatchedNotifications: `${prefix}:unmatched-notifications`,
    rateLimit: `${prefix}:ratelimit`,
    reconcilerLock: `${prefix}:reconciler-lock`,
    none: `${prefix}:none`,
    batches: `${prefix}:batches`,
    durabilityMarker: `${prefix}:durability-marker`,
    shardCount: `${prefix}:shards`,
    shardOf: (id) => `${prefix}:shard-of:${id}`,
  };
}
