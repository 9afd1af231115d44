/**
 * The scaling sections of BENCHMARKS.md (bench/scale.ts): more worker processes on one
 * Redis, and Redis Cluster with shards (issues 15 and 17).
 */
import type { ScenarioResult } from "./lifecycle.js";
import { scaleLabel } from "./scale.js";
import type { ScaleResult } from "./scale.js";
import { ratio } from "./stats.js";
import {
  byLabel,
  f0,
  f1,
  f2,
  fx,
  latenciesOf,
  roundProblems,
  table,
  verdict,
} from "./report-format.js";
import type { BenchResults } from "./report-types.js";

/** What a contender label says: system, shards, processes. */
function parse(label: string): { bare: boolean; shards: number; processes: number } {
  const m = /^(bare|pipeline)(?:-s(\d+))?-(\d+)p$/.exec(label);
  return { bare: m?.[1] === "bare", shards: Number(m?.[2] ?? 1), processes: Number(m?.[3] ?? 1) };
}

/** Pipeline / bare baseline with the same worker processes, same Redis, same latency. */
export function vsBare(s: readonly ScenarioResult[], x: ScenarioResult): number {
  const p = parse(x.label ?? "");
  const bare = byLabel(s, scaleLabel("bare", p.processes), x.latencyMs);
  return ratio(x.refundsPerSecond, bare?.refundsPerSecond ?? NaN);
}

/** Refunds/s with 2 processes / with 1, same system. */
export function vsOneProcess(s: readonly ScenarioResult[], x: ScenarioResult): number {
  const p = parse(x.label ?? "");
  const one = byLabel(s, scaleLabel(p.bare ? "bare" : "pipeline", 1, p.shards), x.latencyMs);
  return ratio(x.refundsPerSecond, one?.refundsPerSecond ?? NaN);
}

function rowsOf(res: ScaleResult): string[][] {
  const s = res.scenarios;
  return latenciesOf(s).flatMap((l) =>
    s
      .filter((x) => x.latencyMs === l)
      .map((x) => {
        const p = parse(x.label ?? "");
        const b = vsBare(s, x);
        return [
          `${l} ms`,
          p.bare ? "bare BullMQ" : `pipeline, QUEUE_SHARDS=${p.shards}`,
          String(p.processes),
          f0(x.refundsPerSecond),
          p.bare ? "–" : `${fx(b)} (${verdict(b, 0.8, true)})`,
          p.processes > 1 ? fx(vsOneProcess(s, x)) : "–",
          f2(x.cpuMsPerRefund),
          (x.redis?.cpuMsPerRefund ?? []).map(f2).join(" / "),
          f1(x.redis?.commandsPerRefund),
        ];
      }),
  );
}

const HEAD = [
  "latency",
  "system",
  "worker processes",
  "refunds/s",
  "vs bare, same processes (target ≥ 0.8×)",
  "vs 1 process",
  "worker CPU ms/refund (all processes)",
  "Redis CPU ms/refund per node",
  "Redis cmds/refund",
];

export function scaleSection(r: Pick<BenchResults, "scale" | "cluster">): string {
  const out: string[] = [];
  const intro =
    "The lifecycle of section 1 (the producer here, workers in processes of their own, " +
    "the sandbox process, rounds interleaved, medians) with 1 and 2 worker processes on " +
    "the same queues; `WORKER_CONCURRENCY` per process " +
    `(${r.scale?.scenarios[0]?.concurrency ?? r.cluster?.scenarios[0]?.concurrency ?? "–"}), ` +
    "so 2 processes hold twice the jobs in flight. Worker CPU adds up every process's; " +
    "Redis CPU and commands are INFO deltas of each node around each round " +
    "(`bench/scale.ts`). On a 2-core machine the Node processes bound the absolute rates.";
  if (r.scale?.scenarios.length) {
    out.push(
      "## 1c. Scaling: worker processes on one Redis (issue 17)",
      "",
      intro,
      "",
      table(HEAD, rowsOf(r.scale)),
      "",
      roundProblems(r.scale.scenarios),
    );
  }
  if (r.cluster?.scenarios.length) {
    const c = r.cluster;
    const single = r.scale?.scenarios ?? [];
    const notes = latenciesOf(c.scenarios).flatMap((l) => {
      const one = byLabel(single, scaleLabel("pipeline", 1), l)?.redis?.commandsPerRefund;
      return [1, 4].map((shards) => {
        const x = byLabel(c.scenarios, scaleLabel("pipeline", 1, shards), l)?.redis
          ?.commandsPerRefund;
        return (
          `${l} ms, QUEUE_SHARDS=${shards}: ${f1(x)} commands per refund on the cluster ` +
          `against ${f1(one)} on the single Redis (${fx(ratio(x ?? NaN, one ?? NaN))})`
        );
      });
    });
    if (out.length > 0) out.push("");
    out.push(
      "## 1d. Scaling: Redis Cluster with shards (issues 15 and 17)",
      "",
      `A 3-master Redis Cluster of this run (no replicas; nodes: ${c.nodes.join(", ")}). The ` +
        "bare baseline's jobs live under one hash tag, so on one master; the pipeline spreads " +
        "its refunds over `QUEUE_SHARDS` hash tags (4 shards on 3 masters: 2/1/1). " +
        intro,
      "",
      table(HEAD, rowsOf(c)),
      "",
      roundProblems(c.scenarios),
      "",
      single.length > 0
        ? `Redis commands per refund, cluster against one plain Redis (1 worker process): ${notes.join("; ")}.`
        : "Redis commands per refund against one plain Redis: run the `scale` section too.",
    );
  }
  return out.join("\n");
}
