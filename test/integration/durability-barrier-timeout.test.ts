/**
 * A durability barrier that times out on a real server (issue 12): a master with one
 * replica, `REDIS_DURABILITY=replica` and a 200 ms barrier; the replica is frozen (SIGSTOP,
 * by pid), so `WAIT 1` times out while the replica still counts as connected. Then:
 * - `POST /refunds` answers 503 with `Retry-After: 1` and `DURABILITY_TIMEOUT`;
 * - `gatepay-refunds enqueue` exits 75 with one line;
 * - a batch retries its chunk, and once the replica is back (SIGCONT) finishes with each row
 *   created once: the rows the first try stored come back `existing` from the store but
 *   are reported `created` (this run made them), a row stored before the run stays
 *   `existing`, nothing is counted twice in the batch, and no row is reported a duplicate
 *   or an error.
 */
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBatch, type BatchRowProblem } from "../../src/producer/batch/index.js";
import { cliEnv, killAllCli, spawnCli } from "../e2e/cli-process.js";
import { call, refund, startApi } from "../helpers/http-api.js";
import { reportJson, withRun } from "../helpers/batch-run.js";
import { newPrefix } from "../helpers/redis.js";
import { serverInfo, startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { waitFor } from "../helpers/wait-for.js";

const NO_PERSISTENCE = ["--appendonly", "no"];
const DURABILITY_ENV = { REDIS_DURABILITY: "replica", REDIS_DURABILITY_TIMEOUT_MS: "200" };

let master: RedisServer;
let replica: RedisServer;
let dir: string;
let frozen = false;

/** Stops the replica's process (SIGSTOP): it stays connected, but acknowledges nothing. */
function freezeReplica(): void {
  process.kill(replica.pid!, "SIGSTOP");
  frozen = true;
}

function thawReplica(): void {
  if (!frozen) return;
  process.kill(replica.pid!, "SIGCONT");
  frozen = false;
}

/** `WAIT` calls the master has run so far. */
async function waitCalls(): Promise<number> {
  const line = (await serverInfo(master.url, "commandstats"))["cmdstat_wait"];
  return line ? Number(/calls=(\d+)/.exec(line)?.[1] ?? "0") : 0;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "barrier-timeout-"));
  master = await startRedisServer({ args: NO_PERSISTENCE });
  replica = await startRedisServer({
    args: [...NO_PERSISTENCE, "--replicaof", "127.0.0.1", String(master.port)],
  });
  await waitFor(
    async () => (await serverInfo(replica.url, "replication")).master_link_status === "up",
    "the replica to be in sync",
    30_000,
  );
}, 60_000);

afterAll(async () => {
  thawReplica();
  await killAllCli();
  await replica?.close();
  await master?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("a durability barrier that times out", { timeout: 120_000 }, () => {
  it("POST /refunds answers 503 with Retry-After while the replica cannot confirm", async () => {
    const { p, server } = await startApi("barrier-http", {
      env: { REDIS_URL: master.url, ...DURABILITY_ENV },
    });
    expect(await p.producer.ready()).toBe("replica");
    freezeReplica();
    try {
      const res = await call(server, "POST", "/refunds", { body: refund("BT1") });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.json).toMatchObject({ error: { code: "DURABILITY_TIMEOUT" } });
    } finally {
      thawReplica();
    }
    // The same request again, once the replica is back: acknowledged (idempotent).
    const again = await call(server, "POST", "/refunds", { body: refund("BT1") });
    expect(again.status).toBeLessThan(300);
  });

  it("`enqueue` exits 75 with one line while the replica cannot confirm", async () => {
    const env = cliEnv({
      REDIS_URL: master.url,
      QUEUE_PREFIX: newPrefix("barrier-cli"),
      ...DURABILITY_ENV,
    });
    const args = [
      "enqueue",
      "--refund-request-id",
      "BT2",
      "--prepay-id",
      "7001",
      "--refund-amount",
      "5",
    ];
    freezeReplica();
    let result: { code: number | null; out: string; err: string };
    try {
      const cli = spawnCli(args, env);
      const code = await cli.exited;
      result = { code, out: cli.stdout(), err: cli.stderr() };
    } finally {
      thawReplica();
    }
    expect(result.code, `${result.out}\n${result.err}`).toBe(75);
    const lines = result.err.split("\n").filter((l) => l.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      "Redis did not confirm the write as durable (REDIS_DURABILITY replica): " +
        "WAIT answered 0 after 200 ms; retry the same request",
    );
    // Run again with the replica back: it succeeds (the same request is idempotent).
    const again = spawnCli(args, env);
    expect(await again.exited, again.stderr()).toBe(0);
  });

  it("a batch retries its chunk and, once the replica is back, counts every row once", async () => {
    const { p } = await startApi("barrier-batch", {
      env: { REDIS_URL: master.url, ...DURABILITY_ENV },
    });
    const ids = ["B1", "B2", "B3", "B4", "B5", "B6"];
    const file = join(dir, "batch.csv");
    await writeFile(
      file,
      [
        "refundRequestId,prepayId,refundAmount",
        ...ids.map((id, i) => `${id},${9001 + (i % 2)},1.5`),
        "",
      ].join("\n"),
    );
    expect(await p.producer.ready()).toBe("replica");
    // B1 exists before the run (no batch): the run finds it, it did not make it.
    await p.producer.enqueue({ refundRequestId: "B1", prepayId: "9001", refundAmount: "1.5" });
    const waitsBefore = await waitCalls();
    freezeReplica();
    // The replica comes back once the first try's barrier has timed out and a retry waits.
    const thawed = waitFor(
      async () => (await waitCalls()) >= waitsBefore + 2,
      "the chunk to be tried again",
      30_000,
      20,
    ).finally(thawReplica);
    const problems: BatchRowProblem[] = [];
    const run = await runBatch(p.producer, file, {
      batchId: "barrier",
      onProblem: (x) => problems.push(x),
    });
    await thawed;
    await withRun(run, async () => {
      // Tried more than once: the first try's rows came back `existing` from the store;
      // they are this run's own, counted (and reported) created, once.
      expect((await waitCalls()) - waitsBefore).toBeGreaterThanOrEqual(2);
      expect(run).toMatchObject({
        rows: ids.length,
        valid: ids.length,
        invalid: 0,
        duplicates: 0,
        conflicts: 0,
        created: ids.length - 1,
        existing: 1,
      });
      expect(problems).toEqual([]);
      // The batch counts each refund it created once (B1 is not the batch's).
      expect(await p.producer.getBatch("barrier")).toMatchObject({
        total: ids.length - 1,
        queued: ids.length - 1,
      });
      const rows = await reportJson(p, run, dir);
      expect(rows.map((r) => r.refundRequestId)).toEqual(ids);
      for (const r of rows) {
        expect(r.outcome, r.refundRequestId).toBe(
          r.refundRequestId === "B1" ? "existing" : "created",
        );
        expect(r).toMatchObject({ state: "queued" });
        expect(r.batchId).toBe(r.refundRequestId === "B1" ? undefined : "barrier");
        expect(r.errorCode).toBeUndefined();
      }
    });
    for (const id of ids) expect(await p.producer.getRefund(id), id).not.toBeNull();
  });
});
