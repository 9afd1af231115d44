/**
 * Closing a Redis connection never hangs (closeRedisConnection): a worker or producer shut
 * down while its server is gone must still finish. The control shows the hang it avoids:
 * ioredis queues a QUIT sent while reconnecting behind the commands already waiting, so
 * against a killed server it never settles (seen as a 30 s test-teardown hang after the
 * failover test had killed its master).
 * The waits below detect a hang (something that never settles), not a speed.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { closeRedisConnection } from "../../src/store/redis-connection.js";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { waitFor } from "../helpers/wait-for.js";

const servers: RedisServer[] = [];
const connections: Redis[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.close();
});

/** A connection whose server was killed, with a command waiting in its offline queue. */
async function orphanedConnection(): Promise<{ redis: Redis; server: RedisServer }> {
  const server = await startRedisServer({ args: ["--appendonly", "no"] });
  servers.push(server);
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined);
  connections.push(redis);
  await redis.set("k", "v");
  await server.stop("SIGKILL");
  await waitFor(() => redis.status === "reconnecting", "the connection to notice", 10_000);
  void redis.get("k").catch(() => undefined);
  return { redis, server };
}

function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value));
}

describe("closeRedisConnection", () => {
  it("quits a ready connection after the replies it owes", async () => {
    const server = await startRedisServer({ args: ["--appendonly", "no"] });
    servers.push(server);
    const redis = new Redis(server.url);
    connections.push(redis);
    const owed = redis.set("k", "v");
    await closeRedisConnection(redis);
    expect(await owed).toBe("OK");
    await waitFor(() => redis.status === "end", "the connection to end", 5_000);
  });

  it("drops a connection whose server is gone instead of waiting for it", async () => {
    const { redis, server } = await orphanedConnection();
    const closed = closeRedisConnection(redis).then(() => "closed");
    expect(await Promise.race([closed, after(5_000, "still closing")])).toBe("closed");
    // The reconnect is cancelled: the server coming back does not revive the connection
    // (a reconnecting one retries within 50-200 ms here).
    await server.restart();
    await after(1_500, undefined);
    expect(redis.status).not.toBe("ready");
  });

  it("control: a bare QUIT on that connection is still waiting after a second", async () => {
    const { redis } = await orphanedConnection();
    const quit = redis.quit().then(() => "quit");
    expect(await Promise.race([quit, after(1_000, "still waiting")])).toBe("still waiting");
    expect(redis.status).not.toBe("end");
  });
});
