/**
 * The operator console and `GET /attention` on a real Redis Cluster (3 masters) with
 * QUEUE_SHARDS=4: the shards' keys are spread over the masters, and the record walk must
 * visit every one of them (a cluster connection sends a `SCAN` to one node only). No
 * workers: the refunds stay `queued`, which is all the views need.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { shardOf } from "../../src/domain/shard.js";
import { startHttpServer } from "../../src/http/server.js";
import { createLogger } from "../../src/logger.js";
import { createRefundProducer } from "../../src/producer/enqueue-refund.js";
import { createMetrics } from "../../src/worker/metrics.js";
import { API_TOKEN, bearer, get } from "../helpers/console.js";
import { newPrefix } from "../helpers/redis.js";
import { startRedisCluster, type RedisCluster } from "../helpers/redis-cluster.js";

const SHARDS = 4;
let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

describe("console on Redis Cluster, QUEUE_SHARDS=4", () => {
  it("counts, lists and reports the refunds of every shard on every master", async () => {
    const prefix = newPrefix("cl-console");
    const producer = createRefundProducer({
      redisUrl: "redis://127.0.0.1:6379",
      clusterNodes: [...cluster.seedNodes],
      shards: SHARDS,
      prefix,
    });
    const config = loadConfig({
      REDIS_CLUSTER_NODES: cluster.seeds,
      QUEUE_SHARDS: String(SHARDS),
      QUEUE_PREFIX: prefix,
      API_TOKEN,
    });
    const server = await startHttpServer({
      config,
      producer,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics({ defaultMetrics: false }),
      port: 0,
      host: "127.0.0.1",
    });
    try {
      // Two refunds on an order of each shard.
      const orders = new Map<number, string>();
      for (let i = 0; orders.size < SHARDS; i++) {
        const id = `55${i}0011`;
        if (!orders.has(shardOf(id, SHARDS))) orders.set(shardOf(id, SHARDS), id);
      }
      const requests = [...orders.values()].flatMap((prepayId, o) =>
        [1, 2].map((r) => ({ refundRequestId: `K${o}${r}`, prepayId, refundAmount: "1" })),
      );
      const items = await producer.enqueueBulk(requests, { batchId: "cl-b1" });
      expect(items.map((i) => i.outcome)).toEqual(requests.map(() => "created"));
      const tag = prefix.slice(0, prefix.indexOf("}"));
      const holding: number[] = [];
      for (const port of await cluster.masterPorts()) {
        const keys = await cluster.cli(port, "--scan", "--pattern", `${tag}-s*:refund:*`);
        if (keys.trim() !== "") holding.push(port);
      }
      expect(holding.length).toBeGreaterThan(1);

      // Two conflicts in the shards of orders 1 and 3, as the worker notes them.
      const now = Date.now();
      for (const [o, atMs] of [
        [1, now - 1000],
        [3, now],
      ] as const) {
        const store = producer.shards.stores[shardOf(requests[o * 2]!.prepayId, SHARDS)]!;
        await store.redis.zadd(store.keys.attention, atMs, `K${o}1`);
      }

      const overview = await get(server, "/console", bearer);
      expect(overview.text).toContain('<td data-state-count="queued">8</td>');
      const progress = await get(server, "/console/batches/cl-b1/progress.json", bearer);
      expect(JSON.parse(progress.text)).toMatchObject({ total: 8, byState: { queued: 8 } });
      const report = await get(server, "/console/batches/cl-b1/report.csv", bearer);
      const rows = report.text.trim().split("\r\n").slice(1);
      expect(rows.map((l) => l.split(",")[1])).toEqual(requests.map((r) => r.refundRequestId));

      const attention = await fetch(`${server.url}/attention`, { headers: bearer });
      const listed = (await attention.json()) as { refunds: { refundRequestId: string }[] };
      expect(listed.refunds.map((r) => r.refundRequestId)).toEqual(["K31", "K11"]);
      const page = await get(server, "/console/refunds/K32", bearer);
      expect(page.text).toContain("<code>submit-K32</code>");
    } finally {
      await server.close();
      await producer.close();
    }
  });
});
