/**
 * Redis Cluster bench (README "Scaling out"): refunds per second and Redis CPU per node
 * with QUEUE_SHARDS=1 vs 4 on a 3-master cluster, with 1 vs 2 worker processes, in the
 * same run; and Redis commands per refund in cluster mode against one plain Redis.
 *
 *   npm run bench:cluster            # BENCH_CLUSTER_REFUNDS (default 600) per run
 *
 * Each run: fresh prefix, worker processes started and ready, then the refunds enqueued
 * in one bulk call (60 orders) and timed until every one is final (batch counts read
 * every 250 ms; those reads are counted too, a few per second). CPU per node is
 * `INFO cpu` (user + sys) before and after; commands are `INFO commandstats` deltas
 * (Lua-internal commands included), summed over the masters. The sandbox answers at once;
 * polls are compressed to ms. On a 2-core machine the absolute refunds/s are bounded by
 * the Node processes; the per-node CPU spread is what shows the design.
 */
import { Redis } from "ioredis";
import { createRefundProducer } from "../src/producer/enqueue-refund.js";
import { startSandbox } from "../src/sandbox/index.js";
import { CLIENT_ID, FAST_SETTINGS, SECRET } from "../test/helpers/pipeline.js";
import { startRedisCluster, type RedisCluster } from "../test/helpers/redis-cluster.js";
import { startWorkerProcess, type WorkerProcess } from "../test/helpers/worker-process.js";
import { startBenchRedis } from "./redis-server.js";
import { commandStats, diffCounts, redisCpuSeconds, totalCalls } from "./redis-stats.js";

const REFUNDS = Number(process.env["BENCH_CLUSTER_REFUNDS"] ?? "600");
const ORDERS = 60;
/**
 * Compressed polls, but GatePay's default 10 s timeout: on a loaded 2-core machine a 1 s
 * timeout turns CPU starvation into unknown outcomes and look-ups, measuring the machine.
 */
const BENCH_SETTINGS = { ...FAST_SETTINGS, timeoutMs: 10_000 };

interface Target {
  name: string;
  env: Record<string, string>;
  producer: Parameters<typeof createRefundProducer>[0];
  nodes: () => Promise<Redis[]>;
}

interface RunResult {
  target: string;
  shards: number;
  processes: number;
  refundsPerSecond: number;
  cpuPerNode: number[];
  commandsPerRefund: number;
}

async function runOnce(
  target: Target,
  shards: number,
  processes: number,
  sandboxUrl: string,
  tag: string,
): Promise<RunResult> {
  const prefix = `{bench-${tag}}`;
  const env = {
    ...target.env,
    QUEUE_PREFIX: prefix,
    QUEUE_SHARDS: String(shards),
    GATEPAY_BASE_URL: sandboxUrl,
    GATEPAY_CLIENT_ID: CLIENT_ID,
    GATEPAY_SECRET_KEY: SECRET,
    WORKER_CONCURRENCY: "20",
    LOG_LEVEL: "warn",
  };
  const workers: WorkerProcess[] = await Promise.all(
    Array.from({ length: processes }, () => startWorkerProcess({ env, settings: BENCH_SETTINGS })),
  );
  const producer = createRefundProducer({ ...target.producer, prefix, shards });
  const nodes = await target.nodes();
  try {
    await producer.ready();
    const requests = Array.from({ length: REFUNDS }, (_, i) => ({
      refundRequestId: `B${tag}-${i}`,
      prepayId: `77${tag.slice(1)}0${i % ORDERS}0001`,
      refundAmount: "0.01",
    }));
    const cpu0 = await Promise.all(nodes.map(redisCpuSeconds));
    const cmd0 = await Promise.all(nodes.map(commandStats));
    const t0 = process.hrtime.bigint();
    await producer.enqueueBulk(requests, { batchId: "bench" });
    for (;;) {
      const counts = await producer.getBatch("bench");
      const final = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.rejected ?? 0);
      if (final + (counts.dead ?? 0) + (counts.stuck ?? 0) >= REFUNDS) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu1 = await Promise.all(nodes.map(redisCpuSeconds));
    const cmd1 = await Promise.all(nodes.map(commandStats));
    if (process.env["BENCH_CLUSTER_DEBUG"]) {
      for (const [i, after] of cmd1.entries()) {
        const top = [...diffCounts(cmd0[i]!, after).entries()].sort((x, y) => y[1] - x[1]);
        console.error(`node ${i}:`, JSON.stringify(top.slice(0, 8)));
      }
    }
    const commands = cmd1.reduce(
      (sum, after, i) => sum + totalCalls(diffCounts(cmd0[i]!, after)),
      0,
    );
    return {
      target: target.name,
      shards,
      processes,
      refundsPerSecond: REFUNDS / seconds,
      cpuPerNode: cpu1.map((c, i) => c - cpu0[i]!),
      commandsPerRefund: commands / REFUNDS,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await producer.close();
    for (const n of nodes) n.disconnect();
  }
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ clientId: CLIENT_ID, secretKey: SECRET, settleDelayMs: 0 });
  const cluster: RedisCluster = await startRedisCluster({ masters: 3 });
  const single = await startBenchRedis();
  const results: RunResult[] = [];
  try {
    const seeds = cluster.seeds.split(",").map((s) => {
      const [host, port] = s.split(":");
      return { host: host!, port: Number(port) };
    });
    const onCluster: Target = {
      name: "cluster (3 masters)",
      env: { REDIS_CLUSTER_NODES: cluster.seeds },
      producer: { prefix: "", redisUrl: "redis://127.0.0.1:6379", clusterNodes: seeds },
      nodes: async () => (await cluster.masterPorts()).map((port) => new Redis({ port })),
    };
    const onSingle: Target = {
      name: "single Redis",
      env: { REDIS_URL: single.url },
      producer: { prefix: "", redisUrl: single.url },
      nodes: () => Promise.resolve([new Redis(single.url)]),
    };
    let n = 0;
    const only = (process.env["BENCH_CLUSTER_ONLY"] ?? "").split(",").filter(Boolean);
    for (const [target, shards, processes] of [
      [onSingle, 1, 1],
      [onSingle, 4, 1],
      [onCluster, 1, 1],
      [onCluster, 4, 1],
      [onCluster, 1, 2],
      [onCluster, 4, 2],
    ] as const) {
      const id = `${target === onSingle ? "single" : "cluster"}-${shards}-${processes}`;
      if (only.length > 0 && !only.includes(id)) continue;
      const r = await runOnce(target, shards, processes, sandbox.url, `r${n++}`);
      results.push(r);
      console.error(JSON.stringify(r));
    }
  } finally {
    await single.close();
    await cluster.close();
    await sandbox.close();
  }
  const base =
    results.find((r) => r.target !== "single Redis" && r.shards === 1 && r.processes === 1)
      ?.refundsPerSecond ?? 1;
  console.log(
    `| Redis | QUEUE_SHARDS | worker processes | refunds/s | vs cluster 1 shard 1 process | Redis CPU s per node (masters) | Redis commands per refund |`,
  );
  console.log(`|---|---:|---:|---:|---:|---|---:|`);
  for (const r of results) {
    console.log(
      `| ${r.target} | ${r.shards} | ${r.processes} | ${r.refundsPerSecond.toFixed(0)} | ${(r.refundsPerSecond / base).toFixed(2)}× | ${r.cpuPerNode.map((c) => c.toFixed(2)).join(" / ")} | ${r.commandsPerRefund.toFixed(1)} |`,
    );
  }
}

await main();
