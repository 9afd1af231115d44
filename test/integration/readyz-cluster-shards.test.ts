/**
 * `/readyz` on Redis Cluster with QUEUE_SHARDS > 1 (issue 12): every shard's master is
 * checked, not only shard 0's. A master holding some shard (not shard 0) is frozen
 * (SIGSTOP, by pid): readiness turns 503 and names that shard's server unreachable, while
 * the shards elsewhere stay `ok`. The durability start-up line is written once per master.
 */
import { capturedLogger } from "../helpers/captured-logger.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startHttpServer } from "../../src/http/server.js";
import { createLogger } from "../../src/logger.js";
import {
  createRefundProducer,
  producerOptionsFromConfig,
} from "../../src/producer/enqueue-refund.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { createMetrics } from "../../src/worker/metrics.js";
import { startRefundWorkers } from "../../src/worker/start-workers.js";
import { CLIENT_ID, SECRET } from "../helpers/pipeline.js";
import { newPrefix } from "../helpers/redis.js";
import { startRedisCluster, type RedisCluster } from "../helpers/redis-cluster.js";
import { waitFor } from "../helpers/wait-for.js";

const SHARDS = 6;
let cluster: RedisCluster;

beforeAll(async () => {
  // The other masters keep serving their slots while one is frozen.
  cluster = await startRedisCluster({
    masters: 3,
    extraArgs: ["--cluster-require-full-coverage", "no"],
  });
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

interface ShardCheck {
  shard: number;
  address: string;
  redis: string;
  mode: string;
}

describe("/readyz on a cluster with several shards", { timeout: 120_000 }, () => {
  it("checks every shard's master and reports the frozen one's shards", async () => {
    const sandbox = await startSandbox({ clientId: CLIENT_ID, secretKey: SECRET });
    const config = loadConfig(
      {
        REDIS_CLUSTER_NODES: cluster.seeds,
        QUEUE_SHARDS: String(SHARDS),
        QUEUE_PREFIX: newPrefix("readyz-shards"),
        GATEPAY_BASE_URL: sandbox.url,
        GATEPAY_CLIENT_ID: CLIENT_ID,
        GATEPAY_SECRET_KEY: SECRET,
      },
      { require: ["gatepay"] },
    );
    const { logger, logs } = capturedLogger("info");
    const workers = await startRefundWorkers({ config, logger });
    const producer = createRefundProducer(producerOptionsFromConfig(config));
    const server = await startHttpServer({
      config,
      producer,
      workers,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics({ defaultMetrics: false, queuePrefix: config.queuePrefix }),
      port: 0,
      host: "127.0.0.1",
    });
    let frozen: number | undefined;
    try {
      await workers.waitUntilReady();
      const readyz = async () => {
        const res = await fetch(`${server.url}/readyz`);
        const body = (await res.json()) as { checks: { redis: string; shards: ShardCheck[] } };
        return { status: res.status, checks: body.checks };
      };
      const before = await readyz();
      expect(before.status).toBe(200);
      expect(before.checks.shards).toHaveLength(SHARDS);
      const masters = new Set((await cluster.masterPorts()).map((p) => `127.0.0.1:${p}`));
      for (const s of before.checks.shards) {
        expect(s.redis).toBe("ok");
        expect(masters.has(s.address), s.address).toBe(true);
      }
      const addresses = new Set(before.checks.shards.map((s) => s.address));
      // One start-up line per master holding shards, not one per shard.
      expect(logs.filter((l) => /"msg":"durability none\b/.test(l))).toHaveLength(addresses.size);

      // Freeze a master that holds a shard but not shard 0.
      const victim = before.checks.shards.find(
        (s) => s.address !== before.checks.shards[0]!.address,
      );
      expect(victim, "6 shards all on one master").toBeDefined();
      const node = cluster.nodes.find((n) => `127.0.0.1:${n.port}` === victim!.address)!;
      frozen = node.pid!;
      process.kill(frozen, "SIGSTOP");

      const during = await readyz();
      expect(during.status).toBe(503);
      expect(during.checks.redis).toBe("unreachable");
      for (const s of during.checks.shards) {
        expect(s.redis, `shard ${s.shard} on ${s.address}`).toBe(
          s.address === victim!.address ? "unreachable" : "ok",
        );
      }

      process.kill(frozen, "SIGCONT");
      frozen = undefined;
      await waitFor(async () => (await readyz()).status === 200, "readiness again", 30_000);
    } finally {
      if (frozen !== undefined) process.kill(frozen, "SIGCONT");
      await server.close();
      await workers.close();
      await producer.close();
      await sandbox.close();
    }
  });
});
