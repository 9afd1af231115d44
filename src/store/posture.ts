/**
 * The Redis server's posture as the durability monitor reads it (src/store/durability.ts),
 * and, on Redis Cluster after a failover, a connection on the slot's new master with that
 * server's posture read first.
 */
import type { Redis, RedisOptions } from "ioredis";
import { parseInfo, postureFromInfo, type ServerPosture } from "../domain/durability.js";
import type { RedisConnection } from "./redis-connection.js";
import { connectionToNewMaster } from "./slot-node.js";

/** Reads the posture on `redis`: INFO, then CONFIG GET where allowed, COMMAND INFO WAITAOF. */
export async function readPosture(redis: RedisConnection): Promise<ServerPosture> {
  const info = parseInfo(
    String(await redis.call("INFO", "server", "replication", "persistence", "memory")),
  );
  const config = async (name: string): Promise<string | undefined> => {
    try {
      const reply = (await redis.call("CONFIG", "GET", name)) as string[];
      return reply[1];
    } catch {
      // CONFIG may be renamed or refused (managed Redis): INFO memory has the policy.
      return undefined;
    }
  };
  const waitAofInfo = (await redis.call("COMMAND", "INFO", "WAITAOF")) as unknown[];
  return postureFromInfo(info, {
    maxmemoryPolicy: await config("maxmemory-policy"),
    appendfsync: await config("appendfsync"),
    hasWaitAof: Array.isArray(waitAofInfo) && waitAofInfo[0] != null,
  });
}

/** A master's posture (`unknown` when INFO did not say: taken as one, as at start). */
export function isMaster(posture: ServerPosture): boolean {
  return posture.role === "master" || posture.role === "unknown";
}

/**
 * After a failover: a connection on the master owning `key`'s slot now, with its posture,
 * when that is another server than `current` (`host:port`) and it says it is a master;
 * null when the slot did not move (or on a single Redis). Throws when the new server
 * cannot be read (the connection is closed).
 */
export async function openOnNewMaster(
  redis: RedisConnection,
  key: string,
  current: string,
  options: RedisOptions,
): Promise<{ connection: Redis; posture: ServerPosture } | null> {
  const connection = await connectionToNewMaster(redis, key, current, options);
  if (connection === null) return null;
  connection.on("error", () => undefined); // reconnects on its own; barriers fail meanwhile
  try {
    const posture = await readPosture(connection);
    if (isMaster(posture)) return { connection, posture };
  } catch (err) {
    connection.disconnect();
    throw err;
  }
  connection.disconnect();
  return null;
}
