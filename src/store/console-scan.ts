/**
 * The console's walk over the refund record keys of every shard (console-queries.ts): no
 * index lists every refund, so counting by state and a batch's report `SCAN` the keys.
 *
 * One `SCAN` per server, not per shard: on one Redis a walk per shard would read the whole
 * keyspace once per shard. The `MATCH` glob covers every shard's record keys (with several
 * shards `{gatepay-s*}:refund:*`), and each key found is routed to its shard by its exact
 * prefix, so another deployment whose prefix the glob also matches is never counted. On
 * Redis Cluster the walk visits every master (a cluster connection would send a `SCAN` to
 * one node only); a shard's keys are on the master owning its slot.
 */
import type { RefundShards } from "./refund-shards.js";
import { scanServers } from "./slot-node.js";

/** One `SCAN` page: refund ids by shard, and whether the walk may have more. */
export interface RecordPage {
  /** Refund ids found on this page, by shard index (shards with none are absent). */
  byShard: Map<number, string[]>;
  /** True on the walk's last page (every server's cursor came back to 0). */
  last: boolean;
}

/** Walks every shard's record keys, one page at a time. Stop by leaving the loop. */
export async function* recordPages(shards: RefundShards): AsyncGenerator<RecordPage> {
  const route = keyRouter(shards);
  const servers = await scanServers(shards.base.redis);
  for (let s = 0; s < servers.length; s++) {
    const server = servers[s]!;
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(cursor, "MATCH", route.match, "COUNT", 1000);
      cursor = next;
      const byShard = new Map<number, string[]>();
      for (const key of keys) {
        const found = route.of(key);
        if (!found) continue;
        const ids = byShard.get(found.shard);
        if (ids) ids.push(found.id);
        else byShard.set(found.shard, [found.id]);
      }
      yield { byShard, last: cursor === "0" && s === servers.length - 1 };
    } while (cursor !== "0");
  }
}

/** The glob of every shard's record keys and the exact shard of a key it matched. */
function keyRouter(shards: RefundShards): {
  match: string;
  of(key: string): { shard: number; id: string } | null;
} {
  const recordPrefixes = shards.stores.map((store) => store.keys.record(""));
  if (shards.count === 1) {
    const only = recordPrefixes[0]!;
    return {
      match: `${escapeGlob(only)}*`,
      of: (key) => (key.startsWith(only) ? { shard: 0, id: key.slice(only.length) } : null),
    };
  }
  // Shard i's prefix is the base's with `-s<i>` before the hash tag's `}` (domain/shard.ts).
  const base = shards.baseKeys.prefix;
  const close = base.indexOf("}");
  const head = `${base.slice(0, close)}-s`;
  const tail = `${base.slice(close)}:refund:`;
  return {
    match: `${escapeGlob(head)}*${escapeGlob(tail)}*`,
    of(key) {
      if (!key.startsWith(head)) return null;
      const digits = /^\d+/.exec(key.slice(head.length))?.[0];
      const shard = digits === undefined ? -1 : Number(digits);
      const prefix = recordPrefixes[shard];
      if (prefix === undefined || !key.startsWith(prefix)) return null;
      return { shard, id: key.slice(prefix.length) };
    },
  };
}

/** Escapes Redis glob characters so a prefix matches itself only. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}
