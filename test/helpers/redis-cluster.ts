/**
 * A throwaway Redis Cluster of the test's own: `masters` cluster-enabled `redis-server`
 * processes (and `replicasPerMaster` replicas each) on free loopback ports, joined with
 * `redis-cli --cluster create`, and stopped by pid. Nothing is persisted (no AOF, no RDB):
 * a cluster test cares about routing and failover, not about a restart from disk.
 *
 * ```ts
 * const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
 * afterAll(() => cluster.close());
 * cluster.seeds; // "127.0.0.1:7001,127.0.0.1:7002,..." for REDIS_CLUSTER_NODES
 * ```
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, redisAnswers } from "../../src/cli/demo/find-redis.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);

/** One node of a test cluster. */
export interface ClusterNode {
  readonly port: number;
  readonly url: string;
  /** Pid while the process runs. */
  readonly pid: number | undefined;
  /** Sends `signal` (default SIGTERM) and resolves once the process exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A running test cluster. */
export interface RedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** Comma-separated `host:port` of every node: the value for `REDIS_CLUSTER_NODES`. */
  readonly seeds: string;
  /** The same seeds as `{ host, port }` (ioredis's `Cluster`, the producer's `clusterNodes`). */
  readonly seedNodes: readonly { host: string; port: number }[];
  /** `redis-cli` against one node, returning its stdout (for CLUSTER commands in tests). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Ports of the nodes that are masters now (asks the cluster). */
  masterPorts(): Promise<number[]>;
  /** Kills every node (SIGKILL) and deletes the data directory. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** Number of masters; default 3 (the least `redis-cli --cluster create` accepts). */
  masters?: number;
  /** Replicas per master; default 0. */
  replicasPerMaster?: number;
  /** Extra `redis-server` arguments for every node (e.g. `["--maxmemory-policy", "noeviction"]`). */
  extraArgs?: string[];
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) if (child.pid !== undefined) tryKill(child.pid, "SIGKILL");
});

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

async function startNode(dir: string, extraArgs: string[]): Promise<ClusterNode> {
  const port = await freePort();
  const nodeDir = join(dir, String(port));
  await run("mkdir", ["-p", nodeDir]);
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      nodeDir,
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      "nodes.conf",
      "--cluster-node-timeout",
      "2000",
      "--appendonly",
      "no",
      "--save",
      "",
      "--daemonize",
      "no",
      "--logfile",
      "",
      ...extraArgs,
    ],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  live.add(child);
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running = false;
      live.delete(child);
      resolve();
    });
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(() => redisAnswers(url), `cluster node on ${port} to answer PING`, 15_000);
  return {
    port,
    url,
    get pid() {
      return running ? child.pid : undefined;
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (!running || child.pid === undefined) return;
      tryKill(child.pid, signal);
      await exited;
    },
  };
}

/** Starts the nodes, creates the cluster and resolves once every slot is served. */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const dir = await mkdtemp(join(tmpdir(), "gatepay-cluster-"));
  const nodes: ClusterNode[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
    await rm(dir, { recursive: true, force: true });
  };
  const cli = async (port: number, ...args: string[]): Promise<string> =>
    (await run("redis-cli", ["-p", String(port), ...args])).stdout;

  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      nodes.push(await startNode(dir, options.extraArgs ?? []));
    }
    await run("redis-cli", [
      "--cluster",
      "create",
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    for (const node of nodes) {
      await waitFor(
        async () => {
          if (!(await cli(node.port, "CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
          // Every node must also know every replica before a test relies on failover.
          const view = await cli(node.port, "CLUSTER", "NODES");
          if ((view.match(/\bslave\b/g) ?? []).length !== masters * replicas) return false;
          // A replica counts for WAIT (the durability barrier) only once its sync is done.
          const info = await cli(node.port, "INFO", "replication");
          return !info.includes("role:slave") || info.includes("master_link_status:up");
        },
        `cluster_state:ok and ${masters * replicas} replicas seen from ${node.port}`,
        30_000,
        100,
      );
    }
  } catch (err) {
    await close();
    throw err;
  }

  return {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(","),
    seedNodes: nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
    cli,
    async masterPorts() {
      const alive = nodes.find((n) => n.pid !== undefined);
      if (!alive) return [];
      const out = await cli(alive.port, "CLUSTER", "NODES");
      return out
        .split("\n")
        .filter((line) => {
          const fields = line.split(" ");
          const flags = (fields[2] ?? "").split(",");
          // A master that serves slots (slot ranges follow the 8 fixed fields).
          return (
            flags.includes("master") &&
            !flags.some((f) => f.startsWith("fail")) &&
            fields.length > 8
          );
        })
        .map((line) => Number(/:(\d+)@/.exec(line)?.[1]))
        .filter((port) => Number.isInteger(port) && port > 0);
    },
    close,
  };
}
