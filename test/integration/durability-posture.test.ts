/**
 * The durability posture on real servers started by the test (README "Durability"):
 * eviction refused, `aof` refused where WAITAOF is missing (the Redis 7.0 here), and on
 * Valkey 8 with `appendfsync everysec` the pipeline runs with the WAITAOF barrier, seen
 * in the server's own command statistics. A server that turns into a replica under the
 * monitor (a failover) never re-plans `auto` to `none`: its barriers fail as timeouts.
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { parseInfo } from "../../src/domain/durability.js";
import { DurabilityTimeoutError, RedisPostureError } from "../../src/domain/durability-errors.js";
import { createLogger } from "../../src/logger.js";
import { createRefundProducer } from "../../src/producer/enqueue-refund.js";
import { DurabilityMonitor } from "../../src/store/durability.js";
import { startRefundWorkers } from "../../src/worker/start-workers.js";
import { CLIENT_ID, SECRET, startPipeline } from "../helpers/pipeline.js";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { requireSystemBinary } from "../helpers/system-binary.js";
import { waitFor } from "../helpers/wait-for.js";

const VALKEY = "/usr/bin/valkey-server";
const servers: RedisServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function server(args: string[], binary?: string): Promise<RedisServer> {
  const s = await startRedisServer({ args, ...(binary ? { binary } : {}) });
  servers.push(s);
  return s;
}

function workerConfig(url: string, env: Record<string, string> = {}) {
  return loadConfig(
    {
      REDIS_URL: url,
      QUEUE_PREFIX: "durability-posture",
      GATEPAY_BASE_URL: "http://127.0.0.1:9",
      GATEPAY_CLIENT_ID: CLIENT_ID,
      GATEPAY_SECRET_KEY: SECRET,
      ...env,
    },
    { require: ["gatepay"] },
  );
}

async function commandCalls(url: string, command: string): Promise<number> {
  const redis = new Redis(url);
  try {
    const info = parseInfo(await redis.info("commandstats"));
    const line = info[`cmdstat_${command}`];
    return line ? Number(/calls=(\d+)/.exec(line)?.[1] ?? "0") : 0;
  } finally {
    redis.disconnect();
  }
}

describe("durability posture", () => {
  it("keeps `auto`'s plan when its server is demoted to a replica: barriers time out, never pass", async () => {
    const noDisk = ["--appendonly", "no"];
    const a = await server(noDisk);
    const b = await server([...noDisk, "--replicaof", "127.0.0.1", String(a.port)]);
    const [ra, rb] = [new Redis(a.url), new Redis(b.url)];
    const synced = async (r: Redis) =>
      (await r.info("replication")).includes("master_link_status:up") || null;
    await waitFor(() => synced(rb), "the replica to be in sync", 30_000);
    const monitor = await DurabilityMonitor.start({
      redis: ra,
      markerKey: "{durability-posture}:durability-marker",
      recheckIntervalMs: 0,
    });
    try {
      expect(monitor.effective).toBe("replica");
      await monitor.barrier();
      // A failover: B is promoted, A follows it (role slave, no replica of its own).
      expect(await rb.call("REPLICAOF", "NO", "ONE")).toBe("OK");
      expect(await ra.call("REPLICAOF", "127.0.0.1", String(b.port))).toBe("OK");
      await monitor.recheck();
      expect(monitor.effective).toBe("replica");
      await expect(monitor.barrier(monitor.ticket())).rejects.toBeInstanceOf(
        DurabilityTimeoutError,
      );
    } finally {
      await monitor.close();
      ra.disconnect();
      rb.disconnect();
    }
  });

  it("refuses to start workers or a producer on a Redis that evicts (allkeys-lru)", async () => {
    const s = await server(["--maxmemory-policy", "allkeys-lru", "--appendonly", "no"]);
    const logger = createLogger({ level: "silent" });
    const started = startRefundWorkers({ config: workerConfig(s.url), logger });
    await expect(started).rejects.toBeInstanceOf(RedisPostureError);
    await expect(started).rejects.toThrow(
      /maxmemory-policy is allkeys-lru.*set "maxmemory-policy noeviction"/,
    );

    const producer = createRefundProducer({ redisUrl: s.url, prefix: "{durability-posture}" });
    try {
      await expect(producer.ready()).rejects.toBeInstanceOf(RedisPostureError);
      // No refund is stored on a Redis refused at the posture check (BullMQ's queue
      // objects write their own meta keys when built).
      await expect(
        producer.enqueue({ refundRequestId: "E1", prepayId: "1", refundAmount: "1" }),
      ).rejects.toBeInstanceOf(RedisPostureError);
      const redis = new Redis(s.url);
      expect(await redis.keys("*:refund:*")).toEqual([]);
      redis.disconnect();
    } finally {
      await producer.close();
    }
  });

  it("reads the eviction policy from INFO where CONFIG is refused (renamed away)", async () => {
    const noConfig = ["--rename-command", "CONFIG", '""', "--appendonly", "no"];
    const evicting = await server([...noConfig, "--maxmemory-policy", "allkeys-lru"]);
    // The server really refuses CONFIG: the policy can only come from INFO memory.
    const redis = new Redis(evicting.url);
    try {
      await expect(redis.call("CONFIG", "GET", "maxmemory-policy")).rejects.toThrow(
        /unknown command/i,
      );
    } finally {
      redis.disconnect();
    }
    const logger = createLogger({ level: "silent" });
    await expect(
      startRefundWorkers({ config: workerConfig(evicting.url), logger }),
    ).rejects.toThrow(/maxmemory-policy is allkeys-lru.*set "maxmemory-policy noeviction"/);

    const safe = await server([...noConfig, "--maxmemory-policy", "noeviction"]);
    const w = await startRefundWorkers({ config: workerConfig(safe.url), logger });
    try {
      expect(w.durability.posture.maxmemoryPolicy).toBe("noeviction");
      // CONFIG GET appendfsync was refused too: unknown, not a guess.
      expect(w.durability.posture.appendfsync).toBeUndefined();
      expect(w.durability.effective).toBe("none");
    } finally {
      await w.close();
    }
  });

  it("refuses REDIS_DURABILITY=aof on Redis 7.0 (no WAITAOF), even with the AOF on", async () => {
    const s = await server(["--appendfsync", "everysec"]);
    const logger = createLogger({ level: "silent" });
    await expect(
      startRefundWorkers({ config: workerConfig(s.url, { REDIS_DURABILITY: "aof" }), logger }),
    ).rejects.toThrow(
      /REDIS_DURABILITY=aof cannot be provided: redis 7\.0\.\d+ has no WAITAOF \(needs Redis 7\.2 or later, or Valkey 8\)/,
    );
    // The same server in auto mode starts, and says it runs with no barrier.
    const w = await startRefundWorkers({ config: workerConfig(s.url), logger });
    expect(w.durability.effective).toBe("none");
    await w.close();
  });

  it("runs the pipeline on Valkey 8 with AOF everysec behind WAITAOF (aof mode)", async (ctx) => {
    requireSystemBinary(ctx, VALKEY, "apt-get install -t bookworm-backports valkey-server");
    const s = await server(["--appendfsync", "everysec"], VALKEY);
    const before = await commandCalls(s.url, "waitaof");
    const p = await startPipeline({
      name: "durability-valkey",
      env: { REDIS_URL: s.url, REDIS_DURABILITY: "aof" },
    });
    expect(p.workers?.durability.effective).toBe("aof");
    expect(await p.producer.ready()).toBe("aof");
    p.sandbox.seedOrders({ prepayId: "424242", amount: "100", currency: "USDT", kind: "order" });
    const ids = ["V1", "V2", "V3", "V4", "V5"];
    for (const id of ids) {
      await p.producer.enqueue({ refundRequestId: id, prepayId: "424242", refundAmount: "1.5" });
    }
    for (const id of ids) expect((await p.waitFinal(id)).state).toBe("succeeded");
    for (const id of ids) expect(p.sandbox.ledger.refundsFor(id)).toHaveLength(1);
    // Five enqueues and five submit intents: each waited (rounds may cover several).
    const calls = (await commandCalls(s.url, "waitaof")) - before;
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(await commandCalls(s.url, "wait")).toBe(0);
    expect(p.logs.some((l) => l.includes('"durability":"aof"'))).toBe(true);
  });
});
