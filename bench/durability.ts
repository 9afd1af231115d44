/**
 * `npx tsx bench/durability.ts`: what the durability barrier costs (README "Durability").
 * The whole pipeline (producer enqueueBulk, submit and poll workers, the sandbox in this
 * process, settle delay 0) runs the same refunds on Valkey 8 in three modes, in one run:
 * `none` (AOF everysec, no barrier: the baseline), `aof` (WAITAOF 1 0 on the same server
 * settings) and `replica` (WAIT 1 to a local replica). Prints refunds/s and the ratio to
 * `none`. Sizes: BENCH_DURABILITY_REFUNDS (default 1000), BENCH_DURABILITY_ROUNDS (2).
 * Not part of `npm run bench` yet: run it by hand.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { freePort } from "../src/cli/demo/find-redis.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { createRefundProducer } from "../src/producer/enqueue-refund.js";
import { startSandbox } from "../src/sandbox/index.js";
import { redisAnswers } from "../src/store/redis-connection.js";
import { startRefundWorkers } from "../src/worker/start-workers.js";

const CLIENT = "bench-durability";
const SECRET = "bench-durability-secret-0123456789";
const REFUNDS = Number(process.env["BENCH_DURABILITY_REFUNDS"] ?? 1000);
const ROUNDS = Number(process.env["BENCH_DURABILITY_ROUNDS"] ?? 2);
const VALKEY = process.env["BENCH_VALKEY"] ?? "valkey-server";

interface Server {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function startServer(args: string[]): Promise<Server> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "bench-durability-"));
  const child: ChildProcess = spawn(
    VALKEY,
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...args],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && !(await redisAnswers(url, 200)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    async stop() {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
      await new Promise((r) => child.once("exit", r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function runMode(url: string, mode: string, sandboxUrl: string, round: number) {
  const prefix = `bd-${mode.replace("+", "-")}-${round}`;
  const config = loadConfig(
    {
      REDIS_URL: url,
      QUEUE_PREFIX: prefix,
      REDIS_DURABILITY: mode,
      GATEPAY_BASE_URL: sandboxUrl,
      GATEPAY_CLIENT_ID: CLIENT,
      GATEPAY_SECRET_KEY: SECRET,
      WORKER_CONCURRENCY: "50",
    },
    { require: ["gatepay"] },
  );
  const logger = createLogger({ level: "error", destination: pino.destination("/dev/null") });
  const workers = await startRefundWorkers({
    config,
    logger,
    settings: { poll: { firstDelayMs: 0, maxDelayMs: 50, deadlineMs: 3_600_000 } },
    reconciler: { intervalMs: 0 },
  });
  await workers.waitUntilReady();
  let finals = 0;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((r) => (resolveAll = r));
  workers.pollWorker.on("completed", (_job, result: { outcome?: string } | undefined) => {
    if (result?.outcome === "final" && ++finals === REFUNDS) resolveAll();
  });
  const producer = createRefundProducer({
    redisUrl: url,
    prefix: config.queuePrefix,
    durability: config.durability,
  });
  const requests = Array.from({ length: REFUNDS }, (_, i) => ({
    refundRequestId: `${prefix}-${i}`,
    prepayId: `${900000 + round}`, // `round` is the case's id here
    refundAmount: "0.01",
  }));
  const started = performance.now();
  await producer.enqueueBulk(requests, { chunkSize: 100 });
  await all;
  const seconds = (performance.now() - started) / 1000;
  const rounds = workers.durability.barrierRounds;
  await producer.close();
  await workers.close();
  return { perSecond: REFUNDS / seconds, barrierRounds: rounds };
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ clientId: CLIENT, secretKey: SECRET, settleDelayMs: 0 });
  const aofServer = await startServer(["--appendonly", "yes", "--appendfsync", "everysec"]);
  const master = await startServer(["--appendonly", "no"]);
  const replica = await startServer([
    "--appendonly",
    "no",
    "--replicaof",
    "127.0.0.1",
    String(master.port),
  ]);
  await new Promise((r) => setTimeout(r, 1_000)); // the replica's first sync
  const cases = [
    { mode: "none", url: aofServer.url },
    { mode: "aof", url: aofServer.url },
    { mode: "replica", url: master.url },
  ];
  const results = new Map<string, number[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const id = round * 10 + cases.indexOf(c);
        sandbox.seedOrders({
          prepayId: `${900000 + id}`,
          amount: "1000000",
          currency: "USDT",
          kind: "order",
        });
        const r = await runMode(c.url, c.mode, sandbox.url, id);
        results.set(c.mode, [...(results.get(c.mode) ?? []), r.perSecond]);
      }
    }
  } finally {
    await Promise.all([aofServer.stop(), master.stop(), replica.stop()]);
    await sandbox.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const base = median(results.get("none") ?? []);
  console.log(`| mode | refunds/s (median of ${ROUNDS}) | vs none |`);
  console.log("| --- | --- | --- |");
  for (const c of cases) {
    const m = median(results.get(c.mode) ?? []);
    console.log(`| ${c.mode} | ${m.toFixed(0)} | ${(m / base).toFixed(2)} |`);
  }
}

await main();
