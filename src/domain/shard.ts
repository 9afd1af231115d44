/**
 * Shard routing (README "Scaling out"). A refund belongs to shard
 * `fnv1a32(utf8(prepayId)) mod shards`: every refund of one order lives in one shard, so
 * the over-refund reservation of an order stays one atomic script in one Redis Cluster
 * slot. Each shard has a hash tag of its own, so on a cluster the shards spread over the
 * masters.
 *
 * The hash (FNV-1a, 32 bits, over the UTF-8 bytes) may never change once deployed: it
 * decides where live refunds are. Pure; no imports.
 */

/** The most shards a deployment may have (`QUEUE_SHARDS`). */
export const MAX_SHARDS = 256;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit hash of `text`'s UTF-8 bytes, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The shard (0 ≤ shard < shards) of every refund of the order `prepayId`. */
export function shardOf(prepayId: string, shards: number): number {
  assertShardCount(shards);
  return shards === 1 ? 0 : fnv1a32(prepayId) % shards;
}

/**
 * The key prefix of shard `shard`: with one shard the base prefix itself (`{gatepay}`,
 * the keys of a single-shard deployment never change); with more, the base prefix's
 * hash tag gets `-s<shard>` inside it (`{gatepay}` → `{gatepay-s0}`, `a{b}c` → `a{b-s0}c`),
 * so each shard is a slot of its own.
 */
export function shardPrefix(basePrefix: string, shard: number, shards: number): string {
  assertShardCount(shards);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new RangeError(`shard must be an integer in [0, ${shards - 1}], got ${shard}`);
  }
  if (shards === 1) return basePrefix;
  const close = basePrefix.indexOf("}");
  if (basePrefix.indexOf("{") < 0 || close < 0) {
    throw new RangeError(`prefix ${JSON.stringify(basePrefix)} has no {…} hash tag`);
  }
  return `${basePrefix.slice(0, close)}-s${shard}${basePrefix.slice(close)}`;
}

/** The prefixes of every shard, in shard order. */
export function shardPrefixes(basePrefix: string, shards: number): string[] {
  return Array.from({ length: shards }, (_, i) => shardPrefix(basePrefix, i, shards));
}

function assertShardCount(shards: number): void {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new RangeError(`shard count must be an integer in [1, ${MAX_SHARDS}], got ${shards}`);
  }
}
