/**
 * The durability barrier section of BENCHMARKS.md (bench/durability.ts; issues 12 and 17).
 */
import { DURABILITY_LABELS as L } from "./durability.js";
import type { ScenarioResult } from "./lifecycle.js";
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

/** Each barrier mode against `none` and against the bare baseline on its own server. */
export const BARRIER_PAIRS = [
  { server: "AOF server", mode: "aof", label: L.aof, none: L.noneAof, bare: L.bareAof },
  {
    server: "master + replica",
    mode: "replica",
    label: L.replica,
    none: L.noneReplica,
    bare: L.bareReplica,
  },
] as const;

/** Pipeline with the barrier on / bare baseline on the same server, per mode and latency. */
export function barrierOnRatios(
  s: readonly ScenarioResult[],
): { mode: string; latencyMs: number; ratio: number }[] {
  return latenciesOf(s).flatMap((l) =>
    BARRIER_PAIRS.map((p) => ({
      mode: p.mode,
      latencyMs: l,
      ratio: ratio(
        byLabel(s, p.label, l)?.refundsPerSecond ?? NaN,
        byLabel(s, p.bare, l)?.refundsPerSecond ?? NaN,
      ),
    })),
  );
}

const ROWS: { label: string; server: string; system: string; none: string; bare: string }[] = [
  { label: L.bareAof, server: "AOF server", system: "bare BullMQ", none: "", bare: "" },
  { label: L.noneAof, server: "AOF server", system: "pipeline, `none`", none: "", bare: L.bareAof },
  {
    label: L.aof,
    server: "AOF server",
    system: "pipeline, `aof` (WAITAOF 1 0)",
    none: L.noneAof,
    bare: L.bareAof,
  },
  { label: L.bareReplica, server: "master + replica", system: "bare BullMQ", none: "", bare: "" },
  {
    label: L.noneReplica,
    server: "master + replica",
    system: "pipeline, `none`",
    none: "",
    bare: L.bareReplica,
  },
  {
    label: L.replica,
    server: "master + replica",
    system: "pipeline, `replica` (WAIT 1)",
    none: L.noneReplica,
    bare: L.bareReplica,
  },
];

export function durabilitySection(r: BenchResults): string {
  const d = r.durability;
  if (!d?.scenarios.length) return "";
  const s = d.scenarios;
  const rows = latenciesOf(s).flatMap((l) =>
    ROWS.map((row) => {
      const x = byLabel(s, row.label, l);
      const none = row.none ? byLabel(s, row.none, l) : undefined;
      const bare = row.bare ? byLabel(s, row.bare, l) : undefined;
      const serverCpu = x?.redis?.cpuMsPerRefund[row.server === "AOF server" ? 0 : 1];
      const vsBare = ratio(x?.refundsPerSecond ?? NaN, bare?.refundsPerSecond ?? NaN);
      return [
        `${l} ms`,
        row.server,
        row.system,
        f0(x?.refundsPerSecond),
        none ? fx(ratio(x?.refundsPerSecond ?? NaN, none.refundsPerSecond)) : "–",
        bare ? `${fx(vsBare)} (${verdict(vsBare, 0.8, true)})` : "–",
        f2(x?.cpuMsPerRefund),
        none ? fx(ratio(x?.cpuMsPerRefund ?? NaN, none.cpuMsPerRefund)) : "–",
        f2(serverCpu),
        f1(x?.redis?.commandsPerRefund),
        f2(x?.redis?.barrierCallsPerRefund),
      ];
    }),
  );
  const c = s[0]?.concurrency ?? 0;
  return [
    "## 1b. Durability barrier (issue 12) and the lifecycle with it on (issue 17)",
    "",
    `Three ${d.server} servers of this run: an AOF server (\`appendonly yes\`, \`appendfsync ` +
      "everysec`) and a master (no AOF) with a local replica. On each, the bare BullMQ baseline " +
      "and the pipeline with `REDIS_DURABILITY=none` and with the barrier (`aof`: WAITAOF on the " +
      "AOF server; `replica`: WAIT 1 on the master) run the lifecycle of section 1 (worker " +
      `process of its own, concurrency ${c}, rounds interleaved over all six systems, medians). ` +
      "The barrier holds the submit intent before each POST and each enqueue acknowledgement. " +
      "Worker CPU is the worker process's; Redis CPU is the server's (INFO cpu; the replica's " +
      "is not counted); barrier calls are WAIT + WAITAOF from INFO commandstats (concurrent " +
      "barriers share a round, so well under one per refund). `bench/durability.ts`.",
    "",
    table(
      [
        "latency",
        "server",
        "system",
        "refunds/s",
        "vs `none`",
        "vs bare (target ≥ 0.8×)",
        "worker CPU ms/refund",
        "CPU vs `none`",
        "Redis CPU ms/refund",
        "Redis cmds/refund",
        "barrier calls/refund",
      ],
      rows,
    ),
    "",
    roundProblems(s),
  ].join("\n");
}
