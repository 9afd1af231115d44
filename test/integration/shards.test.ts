/**
 * QUEUE_SHARDS > 1 on one Redis (every shard's slot on the same server): routing by order,
 * the id → shard index, lookups by id alone, batch counts summed over shards, and the
 * stored shard count. The same code runs on Redis Cluster (cluster-pipeline.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { ShardCountMismatchError } from "../../src/domain/errors.js";
import { shardOf, shardPrefixes } from "../../src/domain/shard.js";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";

const redis = connect();
const opened: { producer: RefundProducer; prefix: string }[] = [];

afterEach(async () => {
  for (const { producer, prefix } of opened.splice(0)) {
    await producer.close();
    for (const p of [prefix, ...shardPrefixes(prefix, 4)]) await cleanupPrefix(redis, p);
  }
});

function producerOf(prefix: string, shards: number): RefundProducer {
  const producer = createRefundProducer({ redis, prefix, shards });
  opened.push({ producer, prefix });
  return producer;
}

/** Order ids that land in every one of 4 shards. */
function ordersOverShards(): string[] {
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < 4; i++) {
    const id = `90000${i}`;
    if (!byShard.has(shardOf(id, 4))) byShard.set(shardOf(id, 4), id);
  }
  return [...byShard.values()];
}

describe("QUEUE_SHARDS=4 on one Redis", () => {
  it("stores each refund in its order's shard and finds it by id alone", async () => {
    const prefix = newPrefix("shards-route");
    const producer = producerOf(prefix, 4);
    const orders = ordersOverShards();
    const requests = orders.flatMap((prepayId, o) =>
      [1, 2].map((r) => ({ refundRequestId: `R${o}-${r}`, prepayId, refundAmount: `${r}.5` })),
    );
    const items = await producer.enqueueBulk(requests, { batchId: "b1" });
    expect(items.map((i) => i.outcome)).toEqual(requests.map(() => "created"));
    const single = await producer.enqueue({
      refundRequestId: "R-single",
      prepayId: orders[0]!,
      refundAmount: "0.25",
    });
    expect(single.created).toBe(true);

    const prefixes = shardPrefixes(prefix, 4);
    for (const r of requests) {
      const shard = shardOf(r.prepayId, 4);
      expect(await redis.hexists(`${prefixes[shard]!}:refund:${r.refundRequestId}`, "rec")).toBe(1);
      expect(await redis.get(`${prefix}:shard-of:${r.refundRequestId}`)).toBe(String(shard));
      const jobs = await producer.shardQueues[shard]!.submit.getJobCounts("waiting", "delayed");
      expect((jobs["waiting"] ?? 0) + (jobs["delayed"] ?? 0)).toBeGreaterThan(0);
    }
    // Nothing but the global keys under the base prefix: no records, no queues.
    expect(await redis.exists(`${prefix}:refund:R0-1`, `${prefix}:events`)).toBe(0);
    expect(await redis.get(`${prefix}:shards`)).toBe("4");

    expect((await producer.getRefund("R3-2"))?.request.prepayId).toBe(orders[3]);
    const parts = await producer.partsOf("R3-2");
    expect(parts?.store.keys.prefix).toBe(prefixes[shardOf(orders[3]!, 4)]);
    expect(parts?.queues).toBe(producer.shardQueues[shardOf(orders[3]!, 4)]);
    expect(await producer.partsOf("nope")).toBeNull();
    expect(await producer.getRefund("nope")).toBeNull();
    const many = await producer.getMany(["R0-1", "nope", "R2-2"]);
    expect(many.map((r) => r?.refundRequestId ?? null)).toEqual(["R0-1", null, "R2-2"]);
    expect(await producer.getBatch("b1")).toEqual({ total: 8, queued: 8 });
  });

  it("answers the same request again as existing, and a different order as a conflict", async () => {
    const prefix = newPrefix("shards-idem");
    const producer = producerOf(prefix, 4);
    const [a, b] = ordersOverShards();
    const request = { refundRequestId: "R-1", prepayId: a!, refundAmount: "1" };
    expect((await producer.enqueue(request)).created).toBe(true);
    expect((await producer.enqueue(request)).created).toBe(false);

    // Same id, an order of another shard: the stored refund wins, nothing is written there.
    const other = { ...request, prepayId: b! };
    await expect(producer.enqueue(other)).rejects.toMatchObject({
      code: "IDEMPOTENCY_CONFLICT",
      differingFields: ["prepayId"],
    });
    const [bulk] = await producer.enqueueBulk([other]);
    expect(bulk?.outcome).toBe("conflict");
    const otherPrefix = shardPrefixes(prefix, 4)[shardOf(b!, 4)]!;
    expect(await redis.exists(`${otherPrefix}:refund:R-1`)).toBe(0);
  });

  it("lets an id go from a shard where its create died before the record", async () => {
    const prefix = newPrefix("shards-stale");
    const producer = producerOf(prefix, 4);
    const [a, b] = ordersOverShards();
    // A producer died between claiming the id for order a's shard and writing the record.
    await producer.ready();
    await redis.set(`${prefix}:shard-of:R-9`, String(shardOf(a!, 4)));
    const created = await producer.enqueue({
      refundRequestId: "R-9",
      prepayId: b!,
      refundAmount: "2",
    });
    expect(created.created).toBe(true);
    expect(await redis.get(`${prefix}:shard-of:R-9`)).toBe(String(shardOf(b!, 4)));
    expect((await producer.getRefund("R-9"))?.request.prepayId).toBe(b);
  });

  it("refuses another shard count than the one stored", async () => {
    const prefix = newPrefix("shards-count");
    await producerOf(prefix, 4).ready();
    await expect(producerOf(prefix, 2).ready()).rejects.toBeInstanceOf(ShardCountMismatchError);
    await expect(producerOf(prefix, 1).getRefund("x")).rejects.toThrow(
      /QUEUE_SHARDS is 1 but this deployment's refunds are stored in 4 shard/,
    );
    await producerOf(prefix, 4).ready();

    // The CLI says why and exits 2 (usage: the environment is the operator's to fix).
    const errors: string[] = [];
    const io = {
      env: { REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, QUEUE_SHARDS: "3" },
      out: () => undefined,
      err: (line: string) => errors.push(line),
    };
    expect(await runCli(["node", "gatepay-refunds", "status", "R-1"], io)).toBe(2);
    expect(errors.join("\n")).toMatch(/QUEUE_SHARDS is 3 but .* stored in 4 shard/);
  });

  it("refuses shards on a deployment that ran unsharded, which keeps its keys", async () => {
    const prefix = newPrefix("shards-legacy");
    const one = producerOf(prefix, 1);
    await one.enqueue({ refundRequestId: "R-1", prepayId: "P-1", refundAmount: "1" });
    expect(await redis.exists(`${prefix}:refund:R-1`, `${prefix}:shards`)).toBe(1);
    await expect(producerOf(prefix, 4).ready()).rejects.toMatchObject({
      code: "SHARD_COUNT_MISMATCH",
      stored: 1,
    });
    expect(await redis.exists(`${prefix}:shards`)).toBe(0);
  });
});
