/**
 * Number formats and small look-ups shared by the BENCHMARKS.md sections.
 */
import type { ClientMeasure } from "./client.js";
import type { ScenarioResult } from "./lifecycle.js";
import type { RedisCost } from "./redis-cost.js";
import type { SystemMode } from "./system.js";

export const MODE_LABEL: Record<SystemMode, string> = {
  baseline: "bare BullMQ + undici.request",
  pipeline: "pipeline (shipped client)",
  "pipeline-fetch": "pipeline, client given the global fetch",
};

export const f0 = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? "–" : Math.round(n).toLocaleString("en-US");
export const f1 = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(1);
export const f2 = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(2);
export const fx = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? "–" : `${n.toFixed(2)}×`;
/** A ratio near a threshold: three decimals, so 1.497 is not shown as 1.50. */
export const fx3 = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? "–" : `${n.toFixed(3)}×`;
export const mib = (b: number | undefined): string =>
  b === undefined || !Number.isFinite(b) ? "–" : (b / 2 ** 20).toFixed(1);
export const met = (ok: boolean | undefined): string =>
  ok === undefined ? "–" : ok ? "met" : "**short**";

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

export function find(
  results: readonly ScenarioResult[],
  mode: SystemMode,
  latencyMs: number,
  concurrency: number,
): ScenarioResult | undefined {
  return results.find(
    (r) => r.mode === mode && r.latencyMs === latencyMs && r.concurrency === concurrency,
  );
}

export function scenarios(results: readonly ScenarioResult[]): [number, number][] {
  const seen = new Map<string, [number, number]>();
  for (const r of results)
    seen.set(`${r.latencyMs}/${r.concurrency}`, [r.latencyMs, r.concurrency]);
  return [...seen.values()];
}

export function cost(
  results: readonly RedisCost[] | undefined,
  mode: SystemMode,
  regime: RedisCost["regime"],
) {
  return results?.find((c) => c.mode === mode && c.regime === regime);
}

export function clientBy(results: readonly ClientMeasure[] | undefined, prefix: string) {
  return results?.find((c) => c.variant.startsWith(prefix));
}

export function sumKinds(c: RedisCost): number {
  const k = c.memoryByKind;
  return k.record + k.order + k.events + k.jobs + k.other;
}

/**
 * "met", or "**short** by …" how far `x` is from `target` (`atLeast`: x ≥ target is met;
 * else x ≤ target), in the figure's own unit (`fmt`); "–" when `x` is not a number.
 */
export function verdict(
  x: number | undefined,
  target: number,
  atLeast: boolean,
  // A gap that rounds to 0.00 gets a third decimal: "short by 0.00×" would read as met.
  fmt: (n: number) => string = (n) => `${n.toFixed(n < 0.005 ? 3 : 2)}×`,
): string {
  if (x === undefined || !Number.isFinite(x)) return "–";
  const ok = atLeast ? x >= target : x <= target;
  return ok ? "met" : `**short** by ${fmt(Math.abs(x - target))}`;
}

/** A contender of a labelled run (durability, scale, cluster) in one scenario. */
export function byLabel(
  results: readonly ScenarioResult[],
  label: string,
  latencyMs: number,
): ScenarioResult | undefined {
  return results.find((r) => r.label === label && r.latencyMs === latencyMs);
}

/** The latencies a labelled run measured, in order. */
export function latenciesOf(results: readonly ScenarioResult[]): number[] {
  return [...new Set(results.map((r) => r.latencyMs))];
}

/**
 * One line on the rounds of labelled runs: which rounds timed out or ended with records
 * not `succeeded` (or that none did), and which had deferred submits.
 */
export function roundProblems(results: readonly ScenarioResult[]): string {
  const name = (s: ScenarioResult, i: number) =>
    `${s.label ?? s.mode} ${s.latencyMs} ms round ${i + 1}`;
  const problems = results.flatMap((s) =>
    s.rounds.flatMap((x, i) =>
      x.error !== undefined || (x.succeeded !== undefined && x.succeeded !== x.refunds)
        ? [`${name(s, i)}: ${x.error ?? `${x.succeeded}/${x.refunds} succeeded`}`]
        : [],
    ),
  );
  const deferred = results.flatMap((s) =>
    s.rounds.flatMap((x, i) =>
      x.deferred ? [`${name(s, i)} (${x.elapsedMs} ms): ${x.deferred} of ${x.refunds}`] : [],
    ),
  );
  return [
    problems.length > 0
      ? `Rounds with problems: ${problems.join("; ")}.`
      : "Every round ended with every refund final (and, for the pipeline, every record `succeeded`).",
    ...(deferred.length > 0
      ? [
          `Rounds with deferred submits (a send withheld because the barrier did not hold ` +
            `within \`REDIS_DURABILITY_TIMEOUT_MS\`, or an unknown outcome; the job waits and ` +
            `tries again): ${deferred.join("; ")}.`,
        ]
      : []),
  ].join(" ");
}
