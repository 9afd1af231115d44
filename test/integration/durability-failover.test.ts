/**
 * A failover that loses acknowledged writes (issue 12), on real servers started here: a
 * master M with a replica R behind a TCP proxy (what Sentinel or a managed endpoint does).
 * The replication link to R stalls (a lagging replica) while refunds are being sent, M is killed (SIGKILL), R is promoted
 * (REPLICAOF NO ONE), a new replica is brought up from it, and the proxy is pointed at R.
 * Everything M acknowledged after R stalled is gone.
 *
 * With REDIS_DURABILITY=replica nothing is sent and nothing acknowledged that R does not
 * hold: the sandbox (strict duplicate mode: a re-post moves money again) shows every refund
 * once and all end final. With `none` the same run pays refunds twice and loses an
 * acknowledged enqueue: the scenario really destroys writes, so the first test can fail.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { DurabilityTimeoutError } from "../../src/domain/durability-errors.js";
import { startPipeline, type Pipeline } from "../helpers/pipeline.js";
import { serverInfo, startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

const NO_PERSISTENCE = ["--appendonly", "no"];
const PREPAY = "880001";
const SENT_EARLY = ["F1", "F2", "F3", "F4"];
const LATE = "F5";

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

/** A replica of `master`, its replication link through a proxy the test can stall. */
async function replicaOf(master: RedisServer): Promise<{ replica: RedisServer; link: TcpProxy }> {
  const link = await startTcpProxy(master.port);
  cleanups.push(() => link.close());
  const replica = await startRedisServer({
    args: [...NO_PERSISTENCE, "--replicaof", "127.0.0.1", String(link.port)],
  });
  cleanups.push(() => replica.close());
  await waitFor(
    async () => (await serverInfo(replica.url, "replication")).master_link_status === "up",
    "the replica to be in sync",
    30_000,
  );
  return { replica, link };
}

interface Cluster {
  master: RedisServer;
  replica: RedisServer;
  /** The replication link from the master to the replica. */
  link: TcpProxy;
  /** What the pipeline connects to (a Sentinel-aware client or a managed endpoint). */
  proxy: TcpProxy;
}

async function startCluster(): Promise<Cluster> {
  const master = await startRedisServer({ args: NO_PERSISTENCE });
  cleanups.push(() => master.close());
  const { replica, link } = await replicaOf(master);
  const proxy = await startTcpProxy(master.port);
  cleanups.push(() => proxy.close());
  return { master, replica, link, proxy };
}

/**
 * Kills the master (SIGKILL); what the stalled link held never reaches the replica. The
 * replica is promoted (REPLICAOF NO ONE), given a replica of its own, and the proxy is
 * pointed at it.
 */
async function failOver(c: Cluster): Promise<void> {
  await c.master.stop("SIGKILL");
  c.link.dropConnections();
  const r = new Redis(c.replica.url);
  try {
    await r.call("REPLICAOF", "NO", "ONE");
  } finally {
    r.disconnect();
  }
  await replicaOf(c.replica);
  c.proxy.retarget(c.replica.port);
}

async function forceCloseWorkers(p: Pipeline): Promise<void> {
  const w = p.workers;
  if (w) await Promise.all([w.submitWorker.close(true), w.pollWorker.close(true)]);
}

async function runScenario(mode: "replica" | "none"): Promise<{
  p: Pipeline;
  lateEnqueue: unknown;
}> {
  const c = await startCluster();
  const p = await startPipeline({
    name: `failover-${mode}`,
    workers: false,
    sandbox: { settleDelayMs: 50 },
    env: {
      REDIS_URL: c.proxy.url,
      REDIS_DURABILITY: mode,
      REDIS_DURABILITY_TIMEOUT_MS: "300",
    },
  });
  p.sandbox.seedOrders({ prepayId: PREPAY, amount: "1000", currency: "USDT", kind: "order" });
  // Enqueued and acknowledged while the replica keeps up.
  for (const id of SENT_EARLY) {
    await p.producer.enqueue({ refundRequestId: id, prepayId: PREPAY, refundAmount: "2" });
  }

  // Both modes start from the same point: the replica holds the early refunds. (In `none`
  // mode nothing waited for it, and a stall right after the enqueues could leave the
  // promoted replica without them.) A write and WAIT on a connection of the test's own
  // cover every earlier write: replication is one ordered stream.
  const direct = new Redis(c.master.url);
  try {
    await direct.incr("failover-test:synced");
    expect(await direct.call("WAIT", "1", "10000")).toBe(1);
  } finally {
    direct.disconnect();
  }

  // The replication link stalls: from now on the master acknowledges writes the replica
  // never sees (a lagging replica; SIGSTOP would not do: the kernel keeps the stream).
  c.link.stall();
  const workers = await p.startWorkers();
  // A job that was active on the killed master can keep BullMQ's graceful close waiting
  // for its lock forever (as in crash-redis-restart.test.ts): these close by force.
  cleanups.push(async () => {
    await Promise.all([workers.submitWorker.close(true), workers.pollWorker.close(true)]);
  });
  if (mode === "replica") {
    await waitFor(
      () => workers.durability.sendsWithheld >= SENT_EARLY.length,
      "every send to be withheld",
      30_000,
    );
  } else {
    await waitFor(
      () => SENT_EARLY.every((id) => p.sandbox.ledger.refundsFor(id).length === 1),
      "every refund to reach GatePay",
      30_000,
    );
  }
  // An enqueue just before the failover.
  const lateEnqueue = await p.producer
    .enqueue({ refundRequestId: LATE, prepayId: PREPAY, refundAmount: "3" })
    .then(
      (r) => r,
      (err: unknown) => err,
    );

  await failOver(c);
  return { p, lateEnqueue };
}

describe("durability across a failover that loses writes", { timeout: 180_000 }, () => {
  it("replica mode: every refund sent once and final; no lost acknowledged enqueue", async () => {
    const { p, lateEnqueue } = await runScenario("replica");
    // Nothing left while the replica could not confirm the intent.
    expect(lateEnqueue).toBeInstanceOf(DurabilityTimeoutError);
    expect(lateEnqueue).toMatchObject({ code: "DURABILITY_TIMEOUT" });

    // The caller retries its unacknowledged enqueue (same idempotent request).
    await waitFor(
      () =>
        p.producer
          .enqueue({ refundRequestId: LATE, prepayId: PREPAY, refundAmount: "3" })
          .then(() => true),
      "the retried enqueue to be acknowledged",
      30_000,
    );
    for (const id of [...SENT_EARLY, LATE]) {
      expect((await p.waitFinal(id, 60_000)).state).toBe("succeeded");
    }
    for (const id of [...SENT_EARLY, LATE]) {
      expect(p.sandbox.ledger.refundsFor(id), id).toHaveLength(1);
    }
    expect(p.sandbox.ledger.refunds).toHaveLength(SENT_EARLY.length + 1);
    expect(p.logs.some((l) => l.includes('"event":"send-withheld"'))).toBe(true);
    await forceCloseWorkers(p);
  });

  it("none mode (the control): the same failover pays twice and loses an acknowledged enqueue", async () => {
    const { p, lateEnqueue } = await runScenario("none");
    expect(lateEnqueue).toMatchObject({ created: true });
    // The promoted replica never had the late refund, though the caller was told it exists.
    await waitFor(
      async () => (await p.producer.getRefund(SENT_EARLY[0]!)) !== null,
      "the pipeline to answer on the promoted replica",
      // ioredis reconnects with backoff after the master's SIGKILL: generous on a loaded machine.
      90_000,
    );
    expect(await p.producer.getRefund(LATE)).toBeNull();
    // Its records are back at "queued": the refunds go out again.
    await waitFor(
      () => SENT_EARLY.some((id) => p.sandbox.ledger.refundsFor(id).length > 1),
      "a refund to be paid twice",
      60_000,
    );
    await forceCloseWorkers(p);
  });
});
