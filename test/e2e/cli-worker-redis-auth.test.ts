/**
 * The worker against a Redis that refuses its password, or goes away (issue 13 item 8):
 * - a wrong password: exit 2 at once with one `REDIS_AUTH_FAILED` line, the password
 *   nowhere in the output, a handful of lines in all (it was thousands);
 * - SIGTERM while Redis is unreachable: the worker stops (within SHUTDOWN_TIMEOUT_MS)
 *   instead of waiting for Redis forever, and its output stays small and password-free.
 * Each case runs its own password-protected redis-server on a free port.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { waitFor } from "../helpers/wait-for.js";
import { cliEnv, killAllCli, spawnCli } from "./cli-process.js";

const PASSWORD = "correct-horse-9f3b2c71d0";
const WRONG = "wrong-battery-5e8a4d6c2b";
const servers: RedisServer[] = [];

afterEach(async () => {
  await killAllCli();
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

function workerEnv(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `auth-${process.pid}`,
    // Nothing is sent: no refund is enqueued. http: the sandbox, so the secret is accepted.
    GATEPAY_BASE_URL: "http://127.0.0.1:9",
    GATEPAY_CLIENT_ID: "auth-test-client",
    GATEPAY_SECRET_KEY: "auth-test-secret-6a1f",
    SHUTDOWN_TIMEOUT_MS: "3000",
    LOG_LEVEL: "debug",
    ...extra,
  });
}

/**
 * A one-node Redis Cluster with `requirepass`: cluster mode on, every slot (0–16383)
 * assigned to the one node (much cheaper than a three-master cluster).
 */
async function passwordCluster(): Promise<RedisServer> {
  const node = await startRedisServer({
    password: PASSWORD,
    // A node that never met another does not know its own address (CLUSTER SLOTS says "").
    args: [
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      "nodes.conf",
      "--cluster-announce-ip",
      "127.0.0.1",
    ],
  });
  servers.push(node);
  const admin = new Redis(node.port, "127.0.0.1", { password: PASSWORD });
  try {
    await admin.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    await waitFor(
      async () => String(await admin.call("CLUSTER", "INFO")).includes("cluster_state:ok"),
      "the one-node cluster to serve every slot",
      15_000,
    );
  } finally {
    admin.disconnect();
  }
  return node;
}

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

describe("gatepay-refunds worker and Redis credentials", { timeout: 120_000 }, () => {
  it("exits 2 with one line on a wrong password, never printing it", async () => {
    const redis = await startRedisServer({ password: PASSWORD });
    servers.push(redis);
    const worker = spawnCli(
      ["worker", "--no-http"],
      workerEnv(`redis://:${WRONG}@127.0.0.1:${redis.port}`),
    );
    // Generous: a fresh Node process on a loaded machine. It used to run forever.
    const code = await Promise.race([
      worker.exited,
      new Promise<"running">((r) => setTimeout(() => r("running"), 60_000).unref()),
    ]);
    const out = worker.stdout();
    const err = worker.stderr();
    expect(code, `${out}\n${err}`).toBe(2);
    expect(lines(err)).toEqual([
      `REDIS_AUTH_FAILED: Redis at redis://***@127.0.0.1:${redis.port} refused the credentials of REDIS_URL (WRONGPASS): check its user and password`,
    ]);
    expect(lines(out).length).toBeLessThanOrEqual(5);
    expect(`${out}${err}`).not.toContain(WRONG);
  });

  it("checks the credentials on the cluster's seeds (REDIS_CLUSTER_NODES), not REDIS_URL's host", async () => {
    const node = await passwordCluster();
    // REDIS_URL gives the cluster its password only; its host (the shared test Redis, which
    // has no password) is not the cluster and must not be what the check asks.
    const clusterEnv = (password: string) =>
      workerEnv(`redis://:${password}@127.0.0.1:6379`, {
        REDIS_CLUSTER_NODES: `127.0.0.1:${node.port}`,
      });

    const wrong = spawnCli(["worker", "--no-http"], clusterEnv(WRONG));
    const code = await Promise.race([
      wrong.exited,
      new Promise<"running">((r) => setTimeout(() => r("running"), 60_000).unref()),
    ]);
    expect(code, `${wrong.stdout()}\n${wrong.stderr()}`).toBe(2);
    expect(lines(wrong.stderr())).toEqual([
      `REDIS_AUTH_FAILED: Redis at redis://127.0.0.1:${node.port} refused the credentials of REDIS_URL (WRONGPASS): check its user and password`,
    ]);
    expect(`${wrong.stdout()}${wrong.stderr()}`).not.toContain(WRONG);

    const right = spawnCli(["worker", "--no-http"], clusterEnv(PASSWORD));
    await right.waitForStdout(/"msg":"workers running"/, 60_000);
    right.child.kill("SIGTERM");
    expect(await right.exited, `${right.stdout()}\n${right.stderr()}`).toBe(0);
    expect(`${right.stdout()}${right.stderr()}`).not.toContain(PASSWORD);
  });

  it("stops on SIGTERM during start-up against a cluster that never becomes ready", async () => {
    // Cluster mode on, no slot assigned: the seed answers (the credential check passes)
    // but the cluster connection never gets ready, so start-up waits. It used to hold
    // SIGTERM until Redis answered (forever).
    const node = await startRedisServer({
      args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
    });
    servers.push(node);
    const worker = spawnCli(
      ["worker", "--no-http"],
      workerEnv("redis://127.0.0.1:6379", { REDIS_CLUSTER_NODES: `127.0.0.1:${node.port}` }),
    );
    // Said once, 10 s into the wait (and proof that the process is past its own start).
    await worker.waitForStdout(/start-up is still waiting for Redis/, 60_000);
    worker.child.kill("SIGTERM");
    const code = await Promise.race([
      worker.exited,
      new Promise<"running">((r) => setTimeout(() => r("running"), 20_000).unref()),
    ]);
    expect(code, `${worker.stdout()}\n${worker.stderr()}`).toBe(1);
    expect(lines(worker.stderr())).toEqual([
      "stopped by SIGTERM during start-up: Redis never became ready",
    ]);
  });

  it("stops on SIGTERM while Redis is unreachable, with a bounded, password-free output", async () => {
    const redis = await startRedisServer({ password: PASSWORD });
    servers.push(redis);
    const worker = spawnCli(
      ["worker", "--no-http"],
      workerEnv(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`),
    );
    await worker.waitForStdout(/"msg":"workers running"/, 60_000);
    await redis.stop("SIGKILL");
    // Let the connections fail and retry for a while (several backoff steps).
    await worker.waitForStdout(/"msg":"Redis connection problem/, 30_000);
    await new Promise((r) => setTimeout(r, 4_000));
    worker.child.kill("SIGTERM");
    const code = await Promise.race([
      worker.exited,
      new Promise<"running">((r) => setTimeout(() => r("running"), 60_000).unref()),
    ]);
    const out = worker.stdout();
    const err = worker.stderr();
    expect(code, `${out}\n${err}`).not.toBe("running");
    expect([0, 1]).toContain(code);
    expect(`${out}${err}`).not.toContain(PASSWORD);
    // A handful of lines per backoff step, not thousands.
    expect(lines(out).length + lines(err).length, `${out}\n${err}`).toBeLessThan(60);
  });
});
