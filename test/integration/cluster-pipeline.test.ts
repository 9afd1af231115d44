/**
 * The pipeline on a real Redis Cluster (3 masters, a replica each) with QUEUE_SHARDS=4:
 * two worker processes consume every shard; one is SIGKILLed with refund POSTs in flight
 * and restarted; then a replica is promoted with CLUSTER FAILOVER during a batch (the
 * workers' durability barriers follow the slot's new master, in `auto` and in `replica`).
 * Every refund ends final, the sandbox (strict `duplicate` mode: a blind re-send records a
 * second refund) shows each refund once, and the shards' keys are on every master.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareAmounts, sumAmounts } from "../../src/domain/amount.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { FINAL_STATES } from "../../src/domain/refund-state.js";
import { shardOf, shardPrefixes } from "../../src/domain/shard.js";
import { parseInfo } from "../../src/domain/durability.js";
import { barrierConnectionFor, keySlot, masterAddressOf } from "../../src/store/slot-node.js";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { loadConfig } from "../../src/config.js";
import { startRefundWorkers } from "../../src/worker/start-workers.js";
import { CLIENT_ID, FAST_SETTINGS, SECRET } from "../helpers/pipeline.js";
import { newPrefix } from "../helpers/redis.js";
import { startRedisCluster, type RedisCluster } from "../helpers/redis-cluster.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

const SHARDS = 4;
const ORDER_AMOUNT = "100";

let cluster: RedisCluster;
const children: WorkerProcess[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
}, 90_000);

afterAll(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
  await cluster?.close();
});

interface Run {
  prefix: string;
  sandbox: Sandbox;
  producer: RefundProducer;
  ids: string[];
  amountsByOrder: Map<string, string[]>;
  env: Record<string, string>;
  startChild(extraEnv?: Record<string, string>): Promise<WorkerProcess>;
  records(): Promise<RefundRecord[]>;
  close(): Promise<void>;
}

async function setUp(name: string, orders: number, perOrder: number): Promise<Run> {
  const prefix = newPrefix(name);
  const sandbox = await startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    duplicateMode: "duplicate",
    settleDelayMs: 200,
    faults: { orderRefund: { latencyMs: 500, dropAfter: 0.05 } },
  });
  const producer = createRefundProducer({
    redisUrl: "redis://127.0.0.1:6379",
    clusterNodes: seeds(),
    shards: SHARDS,
    prefix,
    submitMaxAttempts: 20,
  });
  const env = {
    REDIS_CLUSTER_NODES: cluster.seeds,
    QUEUE_SHARDS: String(SHARDS),
    QUEUE_PREFIX: prefix,
    GATEPAY_BASE_URL: sandbox.url,
    GATEPAY_CLIENT_ID: CLIENT_ID,
    GATEPAY_SECRET_KEY: SECRET,
    WORKER_CONCURRENCY: "4",
    SUBMIT_MAX_ATTEMPTS: "20",
    LOG_LEVEL: "info",
  };
  const ids: string[] = [];
  const amountsByOrder = new Map<string, string[]>();
  const started: WorkerProcess[] = [];
  const run: Run = {
    prefix,
    sandbox,
    producer,
    ids,
    amountsByOrder,
    env,
    async startChild(extraEnv = {}) {
      const child = await startWorkerProcess({
        env: { ...env, ...extraEnv },
        settings: FAST_SETTINGS,
      });
      children.push(child);
      started.push(child);
      return child;
    },
    async records() {
      const all = await producer.getMany(ids);
      return all.map((r, i) => {
        if (!r) throw new Error(`no record for ${ids[i]}`);
        return r;
      });
    },
    async close() {
      await Promise.all(started.map((c) => c.stop()));
      await producer.close();
      await sandbox.close();
    },
  };
  const requests: unknown[] = [];
  for (let o = 0; o < orders; o++) {
    const prepayId = `30${name.length}${o}5566778899`;
    sandbox.seedOrders({ prepayId, amount: ORDER_AMOUNT, currency: "USDT", kind: "order" });
    const amounts: string[] = [];
    for (let r = 0; r < perOrder; r++) {
      const refundRequestId = `C${o}x${r}`;
      amounts.push(`${r + 1}.25`);
      ids.push(refundRequestId);
      requests.push({
        refundRequestId,
        prepayId,
        refundAmount: `${r + 1}.25`,
        orderAmount: ORDER_AMOUNT,
      });
    }
    amountsByOrder.set(prepayId, amounts);
  }
  const enqueued = await producer.enqueueBulk(requests, { batchId: "cluster-batch" });
  expect(enqueued.map((e) => e.outcome)).toEqual(requests.map(() => "created"));
  return run;
}

function seeds(): { host: string; port: number }[] {
  return [...cluster.seedNodes];
}

async function waitAllFinal(run: Run): Promise<RefundRecord[]> {
  return waitFor(
    async () => {
      const records = await run.records();
      return records.every((r) => FINAL_STATES.has(r.state)) ? records : null;
    },
    `all ${run.ids.length} refunds to be final`,
    150_000,
    200,
  );
}

/** Succeeded, each created once at GatePay, orders refunded exactly what was asked. */
async function expectEachRefundedOnce(run: Run, records: readonly RefundRecord[]): Promise<void> {
  expect(records.filter((r) => r.state !== "succeeded").map((r) => r.refundRequestId)).toEqual([]);
  const notOnce = run.ids.filter((id) => run.sandbox.ledger.refundsFor(id).length !== 1);
  expect(notOnce).toEqual([]);
  expect(run.sandbox.ledger.refunds).toHaveLength(run.ids.length);
  for (const [prepayId, amounts] of run.amountsByOrder) {
    const order = run.sandbox.ledger.order(prepayId)!;
    expect(compareAmounts(order.refundedAmount, sumAmounts(amounts)), prepayId).toBe(0);
  }
  // Counted in each shard, summed over the shards.
  const counts = Object.entries(await run.producer.getBatch("cluster-batch")).filter(
    ([, n]) => n !== 0,
  );
  expect(Object.fromEntries(counts)).toEqual({
    total: run.ids.length,
    succeeded: run.ids.length,
  });
}

/** `WAIT` calls so far on the node at `port` (INFO commandstats). */
async function waitCalls(port: number): Promise<number> {
  const info = parseInfo(await cluster.cli(port, "INFO", "commandstats"));
  return Number(/calls=(\d+)/.exec(info.cmdstat_wait ?? "")?.[1] ?? "0");
}

/** The port of a replica of the master at `port`. */
async function replicaOf(port: number): Promise<number> {
  const view = await cluster.cli(port, "CLUSTER", "NODES");
  const id = view
    .split("\n")
    .find((l) => l.includes("myself"))!
    .split(" ")[0]!;
  const line = view.split("\n").find((l) => l.includes(` slave ${id} `))!;
  return Number(/:(\d+)@/.exec(line)![1]);
}

/** The master port holding the most of `run`'s refunds (by their shard's slot). */
async function busiestShardMaster(run: Run): Promise<number> {
  const refundsByPort = new Map<number, number>();
  const prefixes = shardPrefixes(run.prefix, SHARDS);
  for (const [prepayId, amounts] of run.amountsByOrder) {
    const marker = `${prefixes[shardOf(prepayId, SHARDS)]!}:durability-marker`;
    const owner = await masterAddressOf(run.producer.store.redis, marker);
    refundsByPort.set(owner!.port, (refundsByPort.get(owner!.port) ?? 0) + amounts.length);
  }
  return [...refundsByPort].sort((a, b) => b[1] - a[1])[0]![0];
}

/** The masters holding keys of `prefix`'s shards (by port). */
async function mastersWithShardKeys(prefix: string): Promise<number[]> {
  const tag = prefix.slice(0, prefix.indexOf("}"));
  const out: number[] = [];
  for (const port of await cluster.masterPorts()) {
    const keys = await cluster.cli(port, "--scan", "--pattern", `${tag}-s*`);
    if (keys.trim() !== "") out.push(port);
  }
  return out;
}

describe("Redis Cluster, QUEUE_SHARDS=4, two worker processes", () => {
  it("survives a SIGKILL of one worker mid-batch: every refund final, each once, shards on every master", async () => {
    const run = await setUp("cl-kill", 10, 10);
    try {
      const orders = [...run.amountsByOrder.keys()];
      expect(new Set(orders.map((o) => shardOf(o, SHARDS))).size).toBeGreaterThan(2);
      expect((await mastersWithShardKeys(run.prefix)).length).toBe(3);

      const [a, b] = await Promise.all([run.startChild(), run.startChild()]);
      // Kill A while it has refund POSTs in flight (submitting under its live lease).
      await waitFor(
        async () => {
          const now = Date.now();
          const inFlight = (await run.records()).filter(
            (r) =>
              r.state === "submitting" &&
              r.submit.leaseOwner?.startsWith(`${a.workerId}/`) === true &&
              (r.submit.leaseUntilMs ?? 0) > now,
          );
          return inFlight.length >= 1 ? inFlight : null;
        },
        `worker ${a.workerId} to have refund POSTs in flight`,
        60_000,
        20,
      );
      a.kill("SIGKILL");
      expect(await a.exited).toEqual({ code: null, signal: "SIGKILL" });
      await run.startChild();

      const records = await waitAllFinal(run);
      await expectEachRefundedOnce(run, records);
      // The surviving process worked throughout: it consumed shards' jobs too.
      expect(b.logs().some((line) => line.includes('"msg":"submit'))).toBe(true);
    } finally {
      await run.close();
    }
  }, 240_000);

  it("rides a failover (a replica promoted with CLUSTER FAILOVER) during a batch", async () => {
    const run = await setUp("cl-failover", 10, 8);
    try {
      // The replica of the master holding the most refunds: that shard's barriers must move.
      const replica = { port: await replicaOf(await busiestShardMaster(run)) };
      const waitsBefore = await waitCalls(replica.port);
      // One worker process in `auto` (which resolves to `replica` here), one in `replica`.
      const workers = await Promise.all([
        run.startChild(),
        run.startChild({ REDIS_DURABILITY: "replica" }),
      ]);
      const durabilityLines = () =>
        workers.flatMap((w) => w.logs().filter((l) => l.includes('"msg":"durability')));
      expect(durabilityLines().some((l) => l.includes('"msg":"durability replica'))).toBe(true);
      await waitFor(
        async () => {
          const records = await run.records();
          const started = records.filter((r) => r.state !== "queued").length;
          return started >= 10 && started < records.length ? true : null;
        },
        "the batch to be under way",
        60_000,
        20,
      );
      expect((await cluster.cli(replica.port, "CLUSTER", "FAILOVER")).trim()).toBe("OK");
      await waitFor(
        async () => ((await cluster.masterPorts()).includes(replica.port) ? true : null),
        `node ${replica.port} to be a master`,
        30_000,
      );
      // The workers' barriers follow the slot's new master: WAIT runs there, and both
      // processes still wait for a replica (never `none` from the demoted node's view).
      await waitFor(
        async () => ((await waitCalls(replica.port)) > waitsBefore ? true : null),
        `the workers' barriers to run WAIT on the promoted master ${replica.port}`,
        60_000,
        100,
      );
      for (const w of workers) {
        await waitFor(
          () =>
            w
              .logs()
              .some(
                (l) =>
                  l.includes("durability barrier follows the slot's new master") &&
                  l.includes(`"next":"127.0.0.1:${replica.port}"`) &&
                  l.includes('"durability":"replica"'),
              ) || null,
          `worker ${w.workerId} to move its barrier to ${replica.port}, still in replica`,
          30_000,
        );
      }

      const records = await waitAllFinal(run);
      await expectEachRefundedOnce(run, records);
      expect(durabilityLines().filter((l) => l.includes('"durability":"none"'))).toEqual([]);
    } finally {
      await run.close();
    }
  }, 240_000);

  it("opens the durability barrier's connection on the master owning each shard's slot", async () => {
    const run = await setUp("cl-barrier", 1, 1);
    const redis = run.producer.store.redis;
    try {
      const masters = await cluster.masterPorts();
      // Each shard reads the clock of its own master (a script on its slot, not a keyless TIME).
      for (const store of run.producer.shards.stores) {
        expect(Math.abs((await store.sharedNowMs()) - Date.now())).toBeLessThan(5_000);
      }
      for (const prefix of shardPrefixes(run.prefix, SHARDS)) {
        const marker = `${prefix}:durability-marker`;
        expect(keySlot(marker)).toBe(
          Number(await cluster.cli(masters[0]!, "CLUSTER", "KEYSLOT", marker)),
        );
        const barrier = await barrierConnectionFor(redis, marker, { maxRetriesPerRequest: 1 });
        try {
          // A plain connection: a key of another master's slot would answer MOVED. (The
          // producer's barrier for this shard already wrote the marker: 1 or more.)
          expect(await barrier.incr(marker)).toBeGreaterThanOrEqual(1);
          expect(masters).toContain(barrier.options.port);
          // The master's replica acknowledges what was written there.
          expect(await barrier.call("WAIT", "1", "2000")).toBe(1);
        } finally {
          barrier.disconnect();
        }
      }
    } finally {
      await run.close();
    }
  }, 60_000);

  it("refuses a worker started with another QUEUE_SHARDS", async () => {
    const run = await setUp("cl-count", 1, 1);
    try {
      const config = loadConfig({ ...run.env, QUEUE_SHARDS: "2" }, { require: ["gatepay"] });
      await expect(startRefundWorkers({ config })).rejects.toMatchObject({
        code: "SHARD_COUNT_MISMATCH",
        configured: 2,
        stored: SHARDS,
      });
    } finally {
      await run.close();
    }
  }, 60_000);
});
