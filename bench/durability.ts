/**
 * What the durability barrier costs (issue 12, README "Durability"), and the lifecycle with
 * the barrier on against a bare BullMQ baseline on the same server (issue 17 item 1).
 * Section `durability` of `npm run bench` (`BENCH_ONLY=durability npm run bench` alone).
 *
 * Three Valkey 8 servers of this run (killed by pid at the end): an AOF server
 * (`appendonly yes`, `appendfsync everysec`, as README "Running Redis for money"), and a
 * master (no AOF) with a local replica. On them, with the lifecycle harness
 * (bench/lifecycle.ts: worker processes of their own, the sandbox process, rounds
 * interleaved, medians), six systems take turns:
 *
 * - on the AOF server: the bare baseline, the pipeline with `REDIS_DURABILITY=none`, and
 *   with `aof` (WAITAOF 1 0 before each send and each enqueue acknowledgement);
 * - on the master with a replica: the bare baseline, the pipeline with `none`, and with
 *   `replica` (WAIT 1).
 *
 * The barrier's cost is each mode against `none` on the same server; "lifecycle with the
 * barrier on" is each barrier mode against the bare baseline on the same server. Each
 * round also reads WAIT/WAITAOF calls from INFO commandstats, which shows the barrier ran.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Redis } from "ioredis";
import { runLifecycle, type ContenderSpec, type ScenarioResult } from "./lifecycle.js";
import { startBenchRedis, type BenchRedis } from "./redis-server.js";
import { sectionLifecycle, type SectionLifecycleOptions } from "./section-lifecycle.js";

/** The labels of the six systems. */
export const DURABILITY_LABELS = {
  bareAof: "bare@aof",
  noneAof: "none@aof",
  aof: "aof@aof",
  bareReplica: "bare@replica",
  noneReplica: "none@replica",
  replica: "replica@replica",
} as const;

export interface DurabilityResult {
  /** The servers' version, e.g. `Valkey 8.0.1`. */
  server: string;
  scenarios: ScenarioResult[];
  /** Redis nodes in the order of each round's `redis.cpuMsPerRefund`. */
  nodes: string[];
}

export interface DurabilityOptions extends SectionLifecycleOptions {
  /** The server binary; default `BENCH_VALKEY` or `valkey-server`. */
  binary?: string;
}

/** Why the section cannot run here (no server binary), or undefined when it can. */
export function durabilityUnavailable(binary = defaultBinary()): string | undefined {
  try {
    execFileSync(binary, ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return `${binary} is not installed (the barrier modes need WAITAOF: Valkey 8 or Redis ≥ 7.2)`;
  }
}

function defaultBinary(): string {
  return process.env["BENCH_VALKEY"] ?? "valkey-server";
}

/** Resolves once `replica` reports its link to the master up (5 s at most per try). */
async function replicaLinked(replica: Redis, master: Redis): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await replica.info("replication");
    const m = await master.info("replication");
    if (/master_link_status:up/.test(r) && /connected_slaves:1/.test(m)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the replica did not link to the master within 10 s");
}

export async function runDurability(o: DurabilityOptions): Promise<DurabilityResult> {
  const binary = o.binary ?? defaultBinary();
  const dir = await mkdtemp(join(tmpdir(), "gatepay-bench-durability-"));
  const servers: BenchRedis[] = [];
  const conns: Redis[] = [];
  try {
    // Each server in a directory of its own: a full sync writes an RDB file there.
    const dirOf = async (name: string): Promise<string[]> => {
      const d = join(dir, name);
      await mkdir(d);
      return ["--dir", d];
    };
    const aof = await startBenchRedis({
      binary,
      args: ["--appendonly", "yes", "--appendfsync", "everysec", ...(await dirOf("aof"))],
    });
    servers.push(aof);
    const master = await startBenchRedis({ binary, args: await dirOf("master") });
    servers.push(master);
    const replica = await startBenchRedis({
      binary,
      args: ["--replicaof", "127.0.0.1", String(master.port), ...(await dirOf("replica"))],
    });
    servers.push(replica);
    for (const s of servers) conns.push(new Redis(s.url));
    const [aofConn, masterConn, replicaConn] = conns as [Redis, Redis, Redis];
    await replicaLinked(replicaConn, masterConn);
    const L = DURABILITY_LABELS;
    const on = (url: string, mode?: string): Partial<ContenderSpec> =>
      mode === undefined ? { redisUrl: url } : { redisUrl: url, env: { REDIS_DURABILITY: mode } };
    const specs: ContenderSpec[] = [
      { label: L.bareAof, mode: "baseline", ...on(aof.url) },
      { label: L.noneAof, mode: "pipeline", ...on(aof.url, "none") },
      { label: L.aof, mode: "pipeline", ...on(aof.url, "aof") },
      { label: L.bareReplica, mode: "baseline", ...on(master.url) },
      { label: L.noneReplica, mode: "pipeline", ...on(master.url, "none") },
      { label: L.replica, mode: "pipeline", ...on(master.url, "replica") },
    ];
    const scenarios = await runLifecycle({
      ...sectionLifecycle(o),
      redis: master,
      contendersFor: () => specs,
      flush: async () => {
        await aofConn.flushall();
        await masterConn.flushall();
        await masterConn.wait(1, 5_000);
      },
      // The replica's INFO counts what replication applies there too: masters only.
      nodes: [aofConn, masterConn],
    });
    return { server: aof.version, scenarios, nodes: ["AOF server", "master"] };
  } finally {
    for (const c of conns) c.disconnect();
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  }
}
