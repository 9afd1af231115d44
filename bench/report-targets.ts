/**
 * The summary of BENCHMARKS.md: every target of issues 12, 14, 15 and 17, each "met" or
 * "short by" how much, and the figures the issues ask for without a number ("reported").
 */
import { COMMANDS_RATIO_GUARD, COMMANDS_RATIO_TARGET } from "./redis-cost.js";
import { DURABILITY_LABELS as L } from "./durability.js";
import type { ScenarioResult } from "./lifecycle.js";
import { BARRIER_PAIRS, barrierOnRatios } from "./report-durability.js";
import {
  byLabel,
  cost,
  f0,
  f1,
  find,
  fx,
  fx3,
  latenciesOf,
  mib,
  scenarios,
  sumKinds,
  table,
  verdict,
} from "./report-format.js";
import { vsBare, vsOneProcess } from "./report-scale.js";
import type { BenchResults } from "./report-types.js";
import { hasBothBatches, UNKNOWN_TO_FINAL_P99_MS } from "./report-unknown-outcome.js";
import { scaleLabel } from "./scale.js";
import { median, ratio } from "./stats.js";

type Row = [issue: string, figure: string, measured: string, target: string, verdict: string];

const REPORTED = "reported";
const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "a – b over n (median m)" and the verdict on the worst, for ratios with a ≥ target. */
function spread(xs: readonly number[], target: number, what: string): [string, string] {
  const ok = xs.filter((x) => x >= target).length;
  const measured =
    xs.length === 1
      ? fx(xs[0])
      : `${fx(Math.min(...xs))} – ${fx(Math.max(...xs))} over ${xs.length} ${what} (median ${fx(median(xs))})`;
  const v =
    xs.length === 1
      ? verdict(xs[0], target, true)
      : ok === xs.length
        ? "met"
        : `**short** in ${xs.length - ok} of ${xs.length}, by up to ${fx(target - Math.min(...xs))}`;
  return [measured, v];
}

function lifecycleRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const lc = r.lifecycle;
  if (lc?.length) {
    const ratios = scenarios(lc).map(([l, c]) =>
      ratio(
        find(lc, "pipeline", l, c)?.refundsPerSecond ?? NaN,
        find(lc, "baseline", l, c)?.refundsPerSecond ?? NaN,
      ),
    );
    rows.push([
      "17",
      "Lifecycle throughput, pipeline / bare baseline, barrier off (`none`, section 1)",
      ...spreadRow(ratios, "scenarios"),
    ]);
  }
  const d = r.durability?.scenarios;
  if (d?.length) {
    for (const p of BARRIER_PAIRS) {
      const xs = barrierOnRatios(d).filter((x) => x.mode === p.mode);
      const [m, v] = spread(
        xs.map((x) => x.ratio),
        0.8,
        "latencies",
      );
      rows.push([
        "17",
        `Lifecycle throughput with the barrier on, \`${p.mode}\` / bare on the same ${p.server} ` +
          `(${xs.map((x) => `${x.latencyMs} ms ${fx(x.ratio)}`).join(", ")}; concurrency ${d[0]?.concurrency})`,
        m,
        "≥ 0.8×",
        v,
      ]);
    }
  }
  return rows;
}

function spreadRow(xs: readonly number[], what: string): [string, string, string] {
  const [m, v] = spread(xs, 0.8, what);
  return [m, "≥ 0.8×", v];
}

function scaleRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const sc = r.scale?.scenarios ?? [];
  const two = sc.filter((x) => x.label === scaleLabel("pipeline", 2));
  if (two.length) {
    rows.push([
      "17",
      "Lifecycle with 2 worker processes on one Redis, pipeline / bare (2 processes each)",
      ...spreadRow(
        two.map((x) => vsBare(sc, x)),
        "latencies",
      ),
    ]);
    rows.push([
      "17",
      "Refunds/s with 2 worker processes / 1, one Redis (pipeline; bare)",
      latenciesOf(sc)
        .map((l) => {
          const p = byLabel(sc, scaleLabel("pipeline", 2), l);
          const b = byLabel(sc, scaleLabel("bare", 2), l);
          return `${l} ms: ${fx(p ? vsOneProcess(sc, p) : NaN)}; ${fx(b ? vsOneProcess(sc, b) : NaN)}`;
        })
        .join(" · "),
      "– (figure asked for)",
      REPORTED,
    ]);
  }
  const cl = r.cluster?.scenarios ?? [];
  const sharded = cl.filter((x) => /^pipeline-s4-/.test(x.label ?? ""));
  if (sharded.length) {
    rows.push([
      "17",
      "Lifecycle on the cluster, QUEUE_SHARDS=4, pipeline / bare (1 and 2 processes)",
      ...spreadRow(
        sharded.map((x) => vsBare(cl, x)),
        "points",
      ),
    ]);
    rows.push(...clusterRows(r, cl));
  }
  return rows;
}

function clusterRows(r: BenchResults, cl: readonly ScenarioResult[]): Row[] {
  const rows: Row[] = [];
  const l = latenciesOf(cl)[0] ?? 0;
  const get = (shards: number, processes: number) =>
    byLabel(cl, scaleLabel("pipeline", processes, shards), l);
  rows.push([
    "15",
    `Refunds/s on the cluster (${l} ms), QUEUE_SHARDS 4 / 1, with 1 and 2 worker processes`,
    [1, 2]
      .map(
        (p) =>
          `${p} process${p > 1 ? "es" : ""}: ${f0(get(4, p)?.refundsPerSecond)} vs ${f0(get(1, p)?.refundsPerSecond)} ` +
          `(${fx(ratio(get(4, p)?.refundsPerSecond ?? NaN, get(1, p)?.refundsPerSecond ?? NaN))})`,
      )
      .join("; "),
    "– (figure asked for)",
    REPORTED,
  ]);
  const share = (x: ScenarioResult | undefined): string => {
    const cpu = x?.redis?.cpuMsPerRefund ?? [];
    const total = cpu.reduce((a, b) => a + b, 0);
    return cpu.map((c) => `${f0((c / total) * 100)} %`).join(" / ");
  };
  rows.push([
    "15",
    `Redis CPU per master (${l} ms, 1 process), share of the cluster's: QUEUE_SHARDS 1 vs 4`,
    `${share(get(1, 1))} vs ${share(get(4, 1))}`,
    "– (figure asked for)",
    REPORTED,
  ]);
  const single = byLabel(r.scale?.scenarios ?? [], scaleLabel("pipeline", 1), l)?.redis;
  for (const shards of [1, 4]) {
    const x = get(shards, 1)?.redis?.commandsPerRefund;
    rows.push([
      "15",
      `Redis commands per refund, cluster (QUEUE_SHARDS=${shards}) / single Redis, ${l} ms`,
      single
        ? `${fx3(ratio(x ?? NaN, single.commandsPerRefund))} (${f1(x)} vs ${f1(single.commandsPerRefund)})`
        : `${f1(x)} (single Redis not run: section \`scale\`)`,
      "– (figure asked for)",
      REPORTED,
    ]);
  }
  return rows;
}

function costRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  for (const regime of ["saturated", "bulk"] as const) {
    const p = cost(r.redisCost, "pipeline", regime);
    const b = cost(r.redisCost, "baseline", regime);
    if (!p || !b) continue;
    const x = p.commandsPerRefund / b.commandsPerRefund;
    rows.push([
      "17",
      regime === "saturated"
        ? `Redis commands per refund, pipeline / baseline, saturated queues (deterministic; test/integration/redis-commands-per-refund.test.ts guards ${COMMANDS_RATIO_GUARD}×)`
        : "Redis commands per refund, pipeline / baseline, free-running (timing-dependent: ± a few %)",
      `${fx3(x)} (${f1(p.commandsPerRefund)} vs ${f1(b.commandsPerRefund)})`,
      `≤ ${COMMANDS_RATIO_TARGET}×`,
      verdict(x, COMMANDS_RATIO_TARGET, false, (n) => `${n.toFixed(3)}×`),
    ]);
  }
  return rows;
}

function enqueueRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const base = r.enqueue?.find((e) => e.name.startsWith("Queue.addBulk"));
  for (const e of (r.enqueue ?? []).filter((x) => x !== base)) {
    const x = ratio(e.perSecond, base?.perSecond ?? NaN);
    rows.push([
      "17",
      `Enqueue rate, ${e.name} / Queue.addBulk, ${f0(e.refunds)} refunds`,
      `${fx(x)} (${f0(e.perSecond)} vs ${f0(base?.perSecond)} refunds/s)`,
      "≥ 0.8×",
      verdict(x, 0.8, true),
    ]);
  }
  for (const mode of ["validate", "batch"] as const) {
    const v = (r.batchMemory ?? []).filter((m) => m.mode === mode).sort((a, b) => a.rows - b.rows);
    const small = v[0];
    const large = v.at(-1);
    if (!small || !large || large.rows <= small.rows) continue;
    const growth = (large.peakRssBytes / small.peakRssBytes - 1) * 100;
    rows.push([
      "17",
      `Peak RSS, batch FILE ${mode === "validate" ? "reading side" : "full run"}, ${f0(large.rows)} rows vs ${f0(small.rows)}`,
      `${mib(large.peakRssBytes)} vs ${mib(small.peakRssBytes)} MiB (${growth >= 0 ? "+" : ""}${f0(growth)} %)`,
      "≤ +10 %",
      verdict(growth, 10, false, (n) => `${f0(n)} percentage point${f0(n) === "1" ? "" : "s"}`),
    ]);
  }
  const mem = cost(r.redisCost, "pipeline", "bulk") ?? cost(r.redisCost, "pipeline", "saturated");
  if (mem) {
    rows.push([
      "–",
      "Redis memory per final refund record",
      `${f0(mem.recordBytes)} B (all of a final refund's keys, retained jobs included: ${f0(sumKinds(mem))} B)`,
      "≤ 2 KB",
      verdict(mem.recordBytes, 2048, false, (n) => `${f0(n)} B`),
    ]);
  }
  const w = r.webhook?.find((x) => x.mode === "pipeline");
  if (w) {
    rows.push([
      "17",
      "Webhook → final state, p99 (pipeline)",
      `${w.p99Ms.toFixed(2)} ms (p50 ${w.p50Ms.toFixed(2)} ms)`,
      "≤ 20 ms",
      verdict(w.p99Ms, 20, false, (n) => `${n.toFixed(2)} ms`),
    ]);
  }
  return rows;
}

function durabilityAndUnknownRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const d = r.durability?.scenarios ?? [];
  for (const l of latenciesOf(d)) {
    for (const p of BARRIER_PAIRS) {
      const x = byLabel(d, p.label, l);
      const none = byLabel(d, p.none, l);
      rows.push([
        "12",
        `Barrier cost, \`${p.mode}\` / \`none\` on the same ${p.server}, ${l} ms: refunds/s; worker CPU per refund`,
        `${fx(ratio(x?.refundsPerSecond ?? NaN, none?.refundsPerSecond ?? NaN))}; ` +
          `${fx(ratio(x?.cpuMsPerRefund ?? NaN, none?.cpuMsPerRefund ?? NaN))}`,
        "– (figure asked for)",
        REPORTED,
      ]);
    }
  }
  if (d.length && !byLabel(d, L.replica, latenciesOf(d)[0] ?? 0)) {
    rows.push(["12", "Barrier `replica`", "not measured", "–", "–"]);
  }
  const u = r.unknownOutcome;
  if (hasBothBatches(u)) {
    const n = u.notified;
    const p = u.pollsOnly;
    const pollsShort = p.finalP99Ms - UNKNOWN_TO_FINAL_P99_MS;
    const pollsNote = !Number.isFinite(pollsShort)
      ? "polls only not measured"
      : pollsShort <= 0
        ? "also met when every notification is lost"
        : `short by ${s1(pollsShort)} when every notification is lost`;
    rows.push([
      "14",
      `Unknown outcome → final state, p99 (${n.unknownRefunds} refunds, default settings and deployment, faults of the issue; ` +
        `polls only: ${p.unknownRefunds} refunds)`,
      `${s1(n.finalP99Ms)} (p50 ${s1(n.finalP50Ms)}; → accepted p99 ${s1(n.p99Ms)}); ` +
        `polls only ${s1(p.finalP99Ms)} (p50 ${s1(p.finalP50Ms)})`,
      "< 45 s",
      `${verdict(n.finalP99Ms, UNKNOWN_TO_FINAL_P99_MS, false, s1)} with notifications; ${pollsNote}`,
    ]);
    const dup = Math.max(n.duplicates, p.duplicates);
    rows.push([
      "14",
      "Refunds created twice at the sandbox (its ledger) in those batches",
      `${n.duplicates} with notifications, ${p.duplicates} polls only`,
      "0",
      verdict(dup, 0, false, (x) => String(x)),
    ]);
  }
  return rows;
}

/** What was asked for and not measured in this run. */
function missing(r: BenchResults): string[] {
  const out: string[] = [];
  const need: [unknown, string][] = [
    [r.lifecycle, "lifecycle"],
    [r.durability, "durability"],
    [r.scale, "scale"],
    [r.cluster, "cluster"],
    [r.redisCost, "cost"],
    [r.enqueue, "enqueue"],
    [r.batchMemory, "memory"],
    [r.webhook, "webhook"],
    [r.unknownOutcome, "unknown"],
  ];
  for (const [x, name] of need) if (x === undefined) out.push(`\`${name}\``);
  return out;
}

export function summary(r: BenchResults): string {
  const rows: Row[] = [
    ...lifecycleRows(r),
    ...scaleRows(r),
    ...costRows(r),
    ...enqueueRows(r),
    ...durabilityAndUnknownRows(r),
  ];
  const notRun = missing(r);
  return [
    "## Summary against the targets",
    "",
    "Every target of issues 12, 14, 15 and 17, each against a baseline measured in this run; " +
      "rows marked “reported” are figures the issues ask for without a number to meet.",
    "",
    table(["issue", "figure", "measured", "target", ""], rows),
    ...(notRun.length > 0 ? ["", `Sections not run (no row above): ${notRun.join(", ")}.`] : []),
  ].join("\n");
}
