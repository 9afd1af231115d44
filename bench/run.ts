/**
 * `npm run bench`: every benchmark against its baseline in one run, on a dedicated
 * redis-server (killed at the end) and the sandbox in a child process, then BENCHMARKS.md.
 *
 * Sections (BENCH_ONLY: comma list, default all), with their time at default sizes on the
 * 2-core development machine (about 30 min in all when the machine is otherwise busy;
 * worker-process start-up under load is a good part of the new sections' time):
 * - signing (~5 s), cost (~40 s: Redis commands per refund, two regimes)
 * - lifecycle (~3–4 min: 2 latencies × 3 concurrencies), profile (~30 s)
 * - durability (~5–7 min: six systems on three Valkey servers of the run, 2 latencies;
 *   pending when valkey-server, or BENCH_VALKEY, is not installed; bench/durability.ts;
 *   BENCH_DURABILITY_LATENCY=0 halves it)
 * - scale (~2–3 min: 1 vs 2 worker processes, single Redis), cluster (~4–5 min: a 3-master
 *   cluster, 1 vs 4 shards, 1 vs 2 processes; bench/scale.ts, `npm run bench:cluster`)
 * - client (~40 s), unknown (~3–5 min, real time: default timeouts and grace; a fault-free
 *   batch, then the faulty batch with notifications delivered and with polls only), webhook
 *   (~20 s), enqueue (~1 min), memory (~1 min), recovery (~4 min)
 *
 * Sizes (environment variables; bench/run-settings.ts):
 * - BENCH_REFUNDS (600): lifecycle refunds per round at 0 ms latency (rounds at 50 ms are
 *   sized to about BENCH_ROUND_MS, default 1500, at the latency-bound rate); also the
 *   durability, scale and cluster sections' rounds
 * - BENCH_ROUNDS (3), BENCH_WARMUP (200): measured and warm-up rounds per system
 * - BENCH_LATENCY ("0,50"), BENCH_CONCURRENCY ("10,50,200")
 * - BENCH_DURABILITY_LATENCY ("0,50"), BENCH_DURABILITY_CONCURRENCY (50); BENCH_VALKEY
 *   (valkey-server): the durability section's server binary
 * - BENCH_SCALE_LATENCY ("0,50"), BENCH_SCALE_CONCURRENCY (50, per worker process): the
 *   scale and cluster sections
 * - BENCH_FETCH ("50"): concurrencies where the pipeline also runs with its client given
 *   the global fetch through its `fetch` option ("all" or "none" also accepted)
 * - BENCH_ENQUEUE (100000), BENCH_ENQUEUE_RUNS (3; quick 1): enqueue-rate refunds and runs
 * - BENCH_RSS_ROWS (1000000): rows of the large file for the memory benchmark;
 *   BENCH_RSS_ENQUEUE_ROWS ("100000,1000000"; quick "2000,10000"): file sizes of full
 *   `batch FILE` runs (the target compares 1,000,000 rows with 100,000)
 * - BENCH_COST_REFUNDS (500): refunds per Redis cost measurement
 * - BENCH_WEBHOOKS (500), BENCH_CLIENT_PAIRS (600)
 * - BENCH_RECOVERY_KILLS (4): SIGKILLs per BullMQ timing in the recovery benchmark;
 *   BENCH_RECOVERY_FEED (40): refunds enqueued per second meanwhile
 * - BENCH_UNKNOWN_REFUNDS (300): refunds of the unknown-outcome batch
 * - BENCH_QUICK=1: small sizes for a smoke run (minutes become seconds)
 * - BENCH_OUT: where to write the report (default BENCHMARKS.md at the repository root)
 * - BENCH_JSON: where to write the raw results (default a file in the OS temp directory);
 *   BENCH_FROM_JSON=<file>: only render the report from such a file
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, release, totalmem, type } from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { runClientBench } from "./client.js";
import { runBatchMemory, runEnqueue } from "./enqueue.js";
import { runLifecycle } from "./lifecycle.js";
import { summarizeProfileFile } from "./profile-summary.js";
import { measureRedisCost } from "./redis-cost.js";
import { startBenchRedis } from "./redis-server.js";
import { runRecovery } from "./recovery.js";
import { renderReport, type BenchResults, type Environment } from "./report.js";
import { startSandboxProcess } from "./sandbox-process.js";
import { runSigning } from "./signing.js";
import {
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
} from "../src/worker/recovery-time.js";
import type { SystemMode } from "./system.js";
import { only, settings, wants, type Section } from "./run-settings.js";
import { durabilityUnavailable, runDurability } from "./durability.js";
import { runCluster, runScale } from "./scale.js";
import { runUnknownOutcome } from "./unknown-outcome.js";
import { runWebhookLatency } from "./webhook.js";

const env = process.env;
const log = (line: string): void => console.log(line);

function packageVersion(name: string): string {
  try {
    const path = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function cpuModel(): string {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    return /model name\s*:\s*(.+)/.exec(text)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

function osName(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    const pretty = /PRETTY_NAME="?([^"\n]+)"?/.exec(text)?.[1];
    return `${pretty ?? type()} (kernel ${release()})`;
  } catch {
    return `${type()} ${release()}`;
  }
}

async function section<T>(
  name: Section,
  results: BenchResults,
  run: () => Promise<T>,
): Promise<T | undefined> {
  if (!wants(name)) return undefined;
  const started = Date.now();
  log(`— ${name}`);
  try {
    const out = await run();
    log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    return out;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log(`  FAILED: ${reason}`);
    results.pending.push({ section: name, reason: `did not complete: ${reason}` });
    return undefined;
  }
}

/** The report as the repository's Prettier settings format it (`npm run format:check`). */
async function formatted(markdown: string): Promise<string> {
  const options = (await resolveConfig(reportPath)) ?? {};
  return format(markdown, { ...options, parser: "markdown" });
}

const reportPath = env["BENCH_OUT"] ?? fileURLToPath(new URL("../BENCHMARKS.md", import.meta.url));

async function main(): Promise<void> {
  const fromJson = env["BENCH_FROM_JSON"];
  if (fromJson) {
    const saved = JSON.parse(readFileSync(fromJson, "utf8")) as BenchResults;
    await writeFile(reportPath, await formatted(renderReport(saved)));
    log(`wrote ${reportPath} from ${fromJson}`);
    return;
  }
  const startedAt = Date.now();
  let loadMax = loadavg()[0] ?? 0;
  const loadSampler = setInterval(() => {
    loadMax = Math.max(loadMax, loadavg()[0] ?? 0);
  }, 2_000);
  const redis = await startBenchRedis();
  const sandbox = await startSandboxProcess();
  const envInfo: Environment = {
    date: new Date(startedAt).toISOString(),
    durationS: 0,
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memTotalGiB: totalmem() / 2 ** 30,
    os: osName(),
    loadStart: loadavg()[0] ?? 0,
    loadEnd: 0,
    loadMax: 0,
    versions: {
      node: process.version,
      redis: redis.version,
      bullmq: packageVersion("bullmq"),
      ioredis: packageVersion("ioredis"),
      undici: packageVersion("undici"),
      pino: packageVersion("pino"),
      zod: packageVersion("zod"),
      fastify: packageVersion("fastify"),
      tsx: packageVersion("tsx"),
    },
    settings: Object.fromEntries(
      Object.entries(settings).map(([k, v]) => [k, Array.isArray(v) ? v.join("/") : String(v)]),
    ),
  };
  if (only.length > 0) envInfo.settings["only"] = only.join("/");
  const results: BenchResults = { env: envInfo, pending: [] };
  const profileDir = await mkdtemp(join(tmpdir(), "gatepay-bench-prof-"));

  try {
    results.signing = await section("signing", results, () => Promise.resolve(runSigning()));

    results.redisCost = await section("cost", results, async () => {
      const out = [];
      let n = 0;
      for (const regime of ["saturated", "bulk"] as const) {
        for (const mode of ["baseline", "pipeline"] as const) {
          const c = await measureRedisCost({
            redisUrl: redis.url,
            sandboxUrl: sandbox.url,
            mode,
            regime,
            refunds: settings.costRefunds,
            prefix: `{bench-cost-${++n}}`,
          });
          log(`  ${regime} ${mode}: ${c.commandsPerRefund.toFixed(1)} commands/refund`);
          out.push(c);
        }
      }
      return out;
    });

    const fetchVariantAt = (c: number): boolean =>
      settings.fetchAt === "all" ||
      (settings.fetchAt !== "none" && settings.fetchAt.split(",").map(Number).includes(c));
    results.lifecycle = await section("lifecycle", results, () =>
      runLifecycle({
        redis,
        sandbox,
        modes: ["baseline", "pipeline"],
        modesFor: (_l, c): SystemMode[] =>
          fetchVariantAt(c) ? ["baseline", "pipeline", "pipeline-fetch"] : ["baseline", "pipeline"],
        latenciesMs: settings.latencies,
        concurrencies: settings.concurrencies,
        refunds: settings.refunds,
        rounds: settings.rounds,
        warmup: settings.warmup,
        roundTargetMs: settings.roundMs,
        roundTimeoutMs: 120_000,
        log,
      }),
    );

    results.profiles = await section("profile", results, async () => {
      const runs = await runLifecycle({
        redis,
        sandbox,
        modes: ["baseline", "pipeline"],
        latenciesMs: [0],
        concurrencies: [50],
        refunds: settings.refunds,
        rounds: 1,
        warmup: settings.warmup,
        roundTargetMs: settings.roundMs,
        roundTimeoutMs: 120_000,
        profileDir,
        log,
      });
      const out = [];
      for (const r of runs) {
        const shares = await summarizeProfileFile(
          join(profileDir, `${r.mode}-lat0-c50.cpuprofile`),
        );
        // Shares come from the profile; CPU per refund from the unprofiled lifecycle run of
        // the same scenario when there is one (sampling adds its own cost).
        const plain = results.lifecycle?.find(
          (x) => x.mode === r.mode && x.latencyMs === 0 && x.concurrency === 50,
        );
        out.push({ mode: r.mode, cpuMsPerRefund: (plain ?? r).cpuMsPerRefund, shares });
      }
      return out;
    });

    const scaleSizes = {
      sandbox,
      refunds: settings.refunds,
      rounds: settings.rounds,
      warmup: settings.warmup,
      roundTargetMs: settings.roundMs,
      log,
    };
    const noValkey = wants("durability") ? durabilityUnavailable() : undefined;
    if (noValkey) results.pending.push({ section: "durability", reason: noValkey });
    else {
      results.durability = await section("durability", results, () =>
        runDurability({
          ...scaleSizes,
          latenciesMs: settings.durabilityLatencies,
          concurrency: settings.durabilityConcurrency,
        }),
      );
    }
    const scaleOptions = {
      ...scaleSizes,
      latenciesMs: settings.scaleLatencies,
      concurrency: settings.scaleConcurrency,
    };
    results.scale = await section("scale", results, () =>
      runScale({ ...scaleOptions, redisUrl: redis.url }),
    );
    results.cluster = await section("cluster", results, () => runCluster(scaleOptions));

    results.client = await section("client", results, () =>
      runClientBench({
        sandbox,
        count: settings.clientPairs,
        warmup: Math.min(settings.warmup, settings.clientPairs),
        rounds: settings.rounds,
        concurrency: 50,
        log,
      }),
    );

    results.unknownOutcome = await section("unknown", results, () =>
      runUnknownOutcome({
        redisUrl: redis.url,
        sandbox,
        refunds: settings.unknownRefunds,
        timeoutMs: 600_000,
        log,
      }),
    );

    results.webhook = await section("webhook", results, () =>
      runWebhookLatency({ redis, sandbox, count: settings.webhooks, log }),
    );

    results.enqueue = await section("enqueue", results, () =>
      runEnqueue({ redis, refunds: settings.enqueue, runs: settings.enqueueRuns, log }),
    );

    results.batchMemory = await section("memory", results, () =>
      runBatchMemory({
        redis,
        largeRows: settings.rssRows,
        enqueueRows: settings.rssEnqueueRows,
        log,
      }),
    );

    results.recovery = await section("recovery", results, () =>
      runRecovery({
        redis,
        sandbox,
        cases: [
          { label: "old defaults", lockDurationMs: 30_000, stalledIntervalMs: 30_000 },
          {
            label: "new defaults",
            lockDurationMs: DEFAULT_LOCK_DURATION_MS,
            stalledIntervalMs: DEFAULT_STALLED_INTERVAL_MS,
          },
        ],
        kills: settings.recoveryKills,
        feedPerS: settings.recoveryFeed,
        latencyMs: 200,
        windowMs: 15_000,
        log,
      }),
    );
  } finally {
    clearInterval(loadSampler);
    await sandbox.close();
    await redis.close();
    await rm(profileDir, { recursive: true, force: true });
  }

  envInfo.durationS = (Date.now() - startedAt) / 1000;
  envInfo.loadEnd = loadavg()[0] ?? 0;
  envInfo.loadMax = Math.max(loadMax, envInfo.loadEnd);
  const json = env["BENCH_JSON"] ?? join(tmpdir(), `gatepay-bench-${startedAt}.json`);
  await writeFile(json, JSON.stringify(results, null, 2));
  await writeFile(reportPath, await formatted(renderReport(results)));
  log(`wrote ${reportPath} in ${envInfo.durationS.toFixed(0)} s (raw results: ${json})`);
}

await main();
