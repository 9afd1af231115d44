/**
 * Scaling out (issue 15, issue 17 item 6; README "Scaling out"), on the lifecycle harness
 * (bench/lifecycle.ts: worker processes of their own, the sandbox process, rounds
 * interleaved, medians), each round reading every Redis node's CPU and commands (INFO):
 *
 * - `cluster`: a 3-master Redis Cluster of this run (test/helpers/redis-cluster.ts, killed
 *   by pid at the end). The bare BullMQ baseline (one hash tag, so one master) with 1 and
 *   2 worker processes, and the pipeline with QUEUE_SHARDS=1 and 4, 1 and 2 worker
 *   processes. Redis CPU per master shows the spread; commands per refund compare with the
 *   same pipeline on one plain Redis (`scale`).
 * - `scale`: the run's single Redis: the bare baseline and the pipeline with 1 and 2
 *   worker processes.
 *
 * WORKER_CONCURRENCY is per process (split over the shards), so 2 processes hold twice the
 * jobs in flight. On a 2-core machine the Node processes bound the absolute rates.
 */
import { Redis } from "ioredis";
import { startRedisCluster } from "../test/helpers/redis-cluster.js";
import { runLifecycle, type ContenderSpec, type ScenarioResult } from "./lifecycle.js";
import { sectionLifecycle, type SectionLifecycleOptions } from "./section-lifecycle.js";

export interface ScaleResult {
  scenarios: ScenarioResult[];
  /** Redis nodes in the order of each round's `redis.cpuMsPerRefund`. */
  nodes: string[];
}

export type ScaleOptions = SectionLifecycleOptions;

/** Contender label of a system: `bare-1p`, `pipeline-s4-2p`. */
export function scaleLabel(mode: "bare" | "pipeline", processes: number, shards = 1): string {
  return mode === "bare" ? `bare-${processes}p` : `pipeline-s${shards}-${processes}p`;
}

/** The bare baseline and the pipeline with 1 and 2 worker processes on one Redis. */
export async function runScale(o: ScaleOptions & { redisUrl: string }): Promise<ScaleResult> {
  const node = new Redis(o.redisUrl);
  try {
    const specs: ContenderSpec[] = [1, 2].flatMap((processes): ContenderSpec[] => [
      { label: scaleLabel("bare", processes), mode: "baseline", processes },
      { label: scaleLabel("pipeline", processes), mode: "pipeline", processes },
    ]);
    const scenarios = await runLifecycle({
      ...sectionLifecycle(o),
      redis: { url: o.redisUrl },
      contendersFor: () => specs,
      nodes: [node],
    });
    return { scenarios, nodes: ["single Redis"] };
  } finally {
    node.disconnect();
  }
}

/** The same systems on a 3-master cluster, the pipeline with 1 and 4 shards. */
export async function runCluster(o: ScaleOptions): Promise<ScaleResult> {
  const cluster = await startRedisCluster({
    masters: 3,
    extraArgs: ["--maxmemory-policy", "noeviction"],
  });
  const masters: Redis[] = [];
  try {
    const ports = await cluster.masterPorts();
    for (const port of ports) masters.push(new Redis({ port, host: "127.0.0.1" }));
    const env = { REDIS_CLUSTER_NODES: cluster.seeds };
    const specs: ContenderSpec[] = [1, 2].flatMap((processes): ContenderSpec[] => [
      { label: scaleLabel("bare", processes), mode: "baseline", processes, env },
      ...[1, 4].map((shards): ContenderSpec => ({
        label: scaleLabel("pipeline", processes, shards),
        mode: "pipeline",
        processes,
        env: { ...env, QUEUE_SHARDS: String(shards) },
      })),
    ]);
    const scenarios = await runLifecycle({
      ...sectionLifecycle(o),
      redis: { url: `redis://127.0.0.1:${ports[0]}` },
      contendersFor: () => specs,
      flush: async () => {
        await Promise.all(masters.map((m) => m.flushall()));
      },
      nodes: masters,
    });
    return { scenarios, nodes: ports.map((p) => `master :${p}`) };
  } finally {
    for (const m of masters) m.disconnect();
    await cluster.close();
  }
}
