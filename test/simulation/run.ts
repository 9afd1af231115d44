/**
 * Running the simulation: one seed, a search over many seeds, and shrinking a failure to
 * the fewest faults that still produce it — a minimal trace that replays exactly from
 * (seed, the faults kept).
 */
import { defaultConfig, type SimConfig } from "./params.js";
import { World, type SimResult } from "./world.js";

export function runSimulation(cfg: SimConfig): SimResult {
  return new World(cfg).run();
}

export interface SearchResult {
  runs: number;
  steps: number;
  failure: SimResult | null;
  failingConfig: SimConfig | null;
}

/** Runs seeds `from` … `from + count - 1`; stops at the first violation. */
export function searchSeeds(
  from: number,
  count: number,
  overrides: Partial<SimConfig> = {},
): SearchResult {
  let steps = 0;
  for (let i = 0; i < count; i++) {
    const cfg = defaultConfig(from + i, overrides);
    const r = runSimulation(cfg);
    steps += r.steps;
    if (r.violation) return { runs: i + 1, steps, failure: r, failingConfig: cfg };
  }
  return { runs: count, steps, failure: null, failingConfig: null };
}

/**
 * Drops faults one at a time (then in halves first, to go fast) while the same kind of
 * violation still happens. Each try is a full deterministic re-run with only the kept
 * fault opportunities allowed to fire.
 */
export function shrink(
  cfg: SimConfig,
  failure: SimResult,
  maxRuns = 400,
): { cfg: SimConfig; result: SimResult } {
  const kind = failure.violation?.kind;
  let kept = failure.faults.map((f) => f.index);
  let best = { cfg: { ...cfg, allowedFaults: new Set(kept) }, result: failure };
  let runs = 0;
  const attempt = (candidate: number[]): boolean => {
    if (runs++ >= maxRuns) return false;
    const c = { ...cfg, allowedFaults: new Set(candidate) };
    const r = runSimulation(c);
    if (r.violation?.kind !== kind) return false;
    kept = r.faults.map((f) => f.index);
    best = { cfg: { ...cfg, allowedFaults: new Set(kept) }, result: r };
    return true;
  };
  for (let chunk = Math.floor(kept.length / 2); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    let progress = true;
    while (progress) {
      progress = false;
      for (let at = 0; at < kept.length; at += chunk) {
        const candidate = [...kept.slice(0, at), ...kept.slice(at + chunk)];
        if (attempt(candidate)) {
          progress = true;
          break;
        }
      }
    }
  }
  const traced = runSimulation({ ...best.cfg, trace: true });
  return { cfg: best.cfg, result: traced };
}

/** The command that replays a (shrunk) failure. */
export function replayCommand(cfg: SimConfig): string {
  const off = Object.entries(cfg.flags)
    .filter(([, on]) => !on)
    .map(([name]) => ` --no-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
    .join("");
  const faults = cfg.allowedFaults ? ` --faults ${[...cfg.allowedFaults].join(",") || "none"}` : "";
  const cas =
    (cfg.casBy === "version" ? " --cas-version" : "") +
    (cfg.barrierChecksMaster ? "" : " --barrier-any-master");
  return `npm run simulate -- --seed ${cfg.seed} --refunds ${cfg.refunds} --workers ${cfg.workers}${off}${cas}${faults} --trace`;
}

/** A failure as text: what broke, the faults it needs, the replay command, the trace. */
export function formatFailure(cfg: SimConfig, r: SimResult, traceLines = 400): string {
  const v = r.violation;
  const lines = [
    `VIOLATION ${v?.kind ?? "none"} at ${v?.atMs ?? "-"} ms: ${v?.message ?? ""}`,
    `seed ${cfg.seed}, ${r.faults.length} faults: ${r.faults.map((f) => `#${f.index} ${f.kind}@${f.atMs}`).join(", ")}`,
    `replay: ${replayCommand(cfg)}`,
  ];
  const id = v?.refundRequestId;
  const relevant = id
    ? r.trace.filter(
        (l) =>
          l.includes(` ${id}`) ||
          l.includes(`-${id}-`) ||
          l.includes("fault") ||
          l.includes("redis") ||
          l.includes("INVARIANT"),
      )
    : r.trace;
  const shown = relevant.slice(-traceLines);
  if (shown.length < relevant.length)
    lines.push(`… ${relevant.length - shown.length} earlier lines`);
  lines.push(...shown);
  return lines.join("\n");
}
