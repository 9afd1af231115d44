/**
 * `npm run bench:cluster`: the `scale` and `cluster` sections of `npm run bench` alone
 * (bench/scale.ts), printed as Markdown: refunds/s, Redis CPU per node and commands per
 * refund with QUEUE_SHARDS=1 vs 4 on a 3-master cluster and 1 vs 2 worker processes,
 * against the bare BullMQ baseline on the same cluster and processes, and the same on
 * one plain Redis. Same as `BENCH_ONLY=scale,cluster npm run bench` without writing
 * BENCHMARKS.md.
 *
 * Sizes: the `BENCH_*` variables of bench/run-settings.ts (BENCH_REFUNDS, BENCH_ROUNDS,
 * BENCH_WARMUP, BENCH_SCALE_LATENCY, BENCH_SCALE_CONCURRENCY, BENCH_QUICK);
 * BENCH_CLUSTER_REFUNDS, when set, overrides BENCH_REFUNDS.
 */
import { startBenchRedis } from "./redis-server.js";
import { scaleSection } from "./report-scale.js";
import type { BenchResults } from "./report-types.js";
import { settings } from "./run-settings.js";
import { startSandboxProcess } from "./sandbox-process.js";
import { runCluster, runScale } from "./scale.js";

const refunds = Number(process.env["BENCH_CLUSTER_REFUNDS"] || settings.refunds);
const redis = await startBenchRedis();
const sandbox = await startSandboxProcess();
const log = (line: string): void => console.error(line);
try {
  const options = {
    sandbox,
    refunds,
    rounds: settings.rounds,
    warmup: settings.warmup,
    roundTargetMs: settings.roundMs,
    latenciesMs: settings.scaleLatencies,
    concurrency: settings.scaleConcurrency,
    log,
  };
  const results: Pick<BenchResults, "scale" | "cluster"> = {};
  results.scale = await runScale({ ...options, redisUrl: redis.url });
  results.cluster = await runCluster(options);
  console.log(scaleSection(results));
} finally {
  await sandbox.close();
  await redis.close();
}
