/**
 * Which Redis server a key lives on, for commands that name no key but must run there: the
 * durability barrier's `WAIT`/`WAITAOF` (src/store/durability.ts) counts the replicas and
 * fsyncs of the server it runs on, so on Redis Cluster it must run on the master that owns
 * the shard's slot, never on a node ioredis picks for a keyless command; the console's
 * `SCAN` walks (console-scan.ts) visit every master ({@link scanServers}).
 *
 * Wiring (durability barrier): open the barrier connection with
 * `barrierConnectionFor(redis, markerKey, { maxRetriesPerRequest: 1 })` instead of
 * `redis.duplicate(…)`. On a single Redis it is a duplicate, as before. On a cluster it is
 * a plain connection to the slot's master of now; after a failover that server is a replica,
 * its `INCR marker` fails (`MOVED`/`READONLY`), the barrier fails and nothing is sent;
 * {@link connectionToNewMaster} then opens one on the slot's new master (the durability
 * monitor follows it: src/store/durability.ts).
 */
import { Redis, type Cluster, type RedisOptions } from "ioredis";
import { isClusterConnection, type RedisConnection } from "./redis-connection.js";

/** Number of Redis Cluster hash slots. */
export const CLUSTER_SLOTS = 16_384;

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as Redis Cluster hashes keys. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** The hash slot of `key`: of its `{…}` hash tag when it has a non-empty one. */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(new TextEncoder().encode(key)) % CLUSTER_SLOTS;
}

/** `host:port` of the master that owns `key`'s slot now (null on a single Redis). */
export async function masterAddressOf(
  redis: RedisConnection,
  key: string,
): Promise<{ host: string; port: number } | null> {
  if (!isClusterConnection(redis)) return null;
  await clusterReady(redis);
  let owner = redis.slots[keySlot(key)]?.[0];
  if (owner === undefined) {
    await new Promise<void>((resolve, reject) =>
      redis.refreshSlotsCache((err) => (err ? reject(err) : resolve())),
    );
    owner = redis.slots[keySlot(key)]?.[0];
  }
  if (owner === undefined) throw new Error(`no master owns the slot of ${key}`);
  const at = owner.lastIndexOf(":");
  return { host: owner.slice(0, at), port: Number(owner.slice(at + 1)) };
}

/**
 * A connection of its own to the server holding `key`: a duplicate of `redis` on a single
 * Redis; on a cluster, a plain connection to the master owning `key`'s slot now, with the
 * cluster's node options (credentials, TLS) and `options`.
 */
export async function barrierConnectionFor(
  redis: RedisConnection,
  key: string,
  options: RedisOptions = {},
): Promise<Redis> {
  if (!isClusterConnection(redis)) return redis.duplicate(options);
  const address = await masterAddressOf(redis, key);
  return nodeConnection(redis, address, options);
}

/**
 * The servers a keyless walk (`SCAN`) must visit to see every key: the one Redis, or every
 * master of a cluster now (a cluster connection sends a keyless command to one node only).
 */
export async function scanServers(redis: RedisConnection): Promise<Redis[]> {
  if (!isClusterConnection(redis)) return [redis];
  await clusterReady(redis);
  return redis.nodes("master");
}

async function clusterReady(redis: Cluster): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    redis.once("ready", resolve);
    redis.once("end", () => reject(new Error("cluster connection ended")));
  });
}

/**
 * After a failover: a connection to the master owning `key`'s slot now, when that is not
 * `current` (`host:port` of the connection in use); null when it still is, or on a single
 * Redis. The cluster's slot map is read again first (ioredis's may predate the failover).
 */
export async function connectionToNewMaster(
  redis: RedisConnection,
  key: string,
  current: string,
  options: RedisOptions = {},
): Promise<Redis | null> {
  if (!isClusterConnection(redis)) return null;
  // An error (a refresh already running, a node down) leaves the map as it is: read below.
  await new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
  const owner = await masterAddressOf(redis, key);
  if (!owner || `${owner.host}:${owner.port}` === current) return null;
  return nodeConnection(redis, owner, options);
}

/** A plain connection to one node of `cluster`, with the cluster's node options (credentials, TLS). */
function nodeConnection(
  cluster: Cluster,
  address: { host: string; port: number } | null,
  options: RedisOptions,
): Redis {
  return new Redis({ ...cluster.options.redisOptions, ...options, ...address });
}
