/**
 * `npm run simulate -- [options]`: long simulation runs, or the replay of one failure.
 *
 *   --seeds N            run seeds start … start+N-1 (default 200)
 *   --start S            first seed (default: random, printed)
 *   --seed S             run one seed (with --faults and --trace: replay a shrunk failure)
 *   --refunds N          refunds per run (default 6); --workers N (default 3)
 *   --no-barrier | --no-fence | --no-second-not-found   switch one protection off
 *   --cas-version        compare-and-set on the record version (unsafe across failover)
 *   --barrier-any-master a barrier re-sent to a new master counts (unsafe)
 *   --faults a,b,c       only these fault opportunities fire ("none": no faults)
 *   --trace              print the trace of the (single) run
 *
 * Prints runs, steps and steps per second; on a violation, shrinks it to the fewest faults
 * and prints the trace and the command that replays it, and exits 1.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { ALL_PROTECTIONS, defaultConfig, type SimConfig } from "./params.js";
import { formatFailure, runSimulation, shrink } from "./run.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "200" },
    start: { type: "string" },
    seed: { type: "string" },
    refunds: { type: "string", default: "6" },
    workers: { type: "string", default: "3" },
    "no-barrier": { type: "boolean", default: false },
    "no-fence": { type: "boolean", default: false },
    "no-second-not-found": { type: "boolean", default: false },
    "cas-version": { type: "boolean", default: false },
    "barrier-any-master": { type: "boolean", default: false },
    faults: { type: "string" },
    trace: { type: "boolean", default: false },
  },
});

function int(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number ≥ 0 (got ${String(raw)})`);
    process.exit(2);
  }
  return n;
}

const overrides: Partial<SimConfig> = {
  refunds: Math.max(1, int("refunds", values.refunds)),
  workers: Math.max(1, int("workers", values.workers)),
  flags: {
    barrier: ALL_PROTECTIONS.barrier && !values["no-barrier"],
    fence: ALL_PROTECTIONS.fence && !values["no-fence"],
    secondNotFound: ALL_PROTECTIONS.secondNotFound && !values["no-second-not-found"],
  },
  casBy: values["cas-version"] ? "version" : "write-id",
  barrierChecksMaster: !values["barrier-any-master"],
  trace: values.trace,
};
if (values.faults !== undefined) {
  overrides.allowedFaults = new Set(
    values.faults === "none" ? [] : values.faults.split(",").map((f) => int("faults", f)),
  );
}

const single = values.seed !== undefined;
const start = single
  ? int("seed", values.seed)
  : values.start !== undefined
    ? int("start", values.start)
    : Math.floor(Math.random() * 1_000_000_000);
const count = single ? 1 : int("seeds", values.seeds);
console.log(`simulating seeds ${start}…${start + count - 1}`);

const t0 = performance.now();
let steps = 0;
let failed: { cfg: SimConfig; result: ReturnType<typeof runSimulation> } | undefined;
let runs = 0;
for (let seed = start; seed < start + count; seed++) {
  const cfg = defaultConfig(seed, overrides);
  const result = runSimulation(cfg);
  runs++;
  steps += result.steps;
  if (single && values.trace) console.log(formatFailure(cfg, result, 100_000));
  if (result.violation) {
    failed = { cfg, result };
    break;
  }
}
const seconds = (performance.now() - t0) / 1000;
console.log(
  `${runs} runs, ${steps} steps in ${seconds.toFixed(1)} s: ${Math.round(steps / seconds)} steps/s`,
);
if (failed) {
  if (!single || !values.trace) {
    const small = values.faults === undefined ? shrink(failed.cfg, failed.result) : { ...failed };
    const result = small.result.trace.length
      ? small.result
      : runSimulation({ ...small.cfg, trace: true });
    console.log(formatFailure(small.cfg, result));
  }
  process.exit(1);
}
console.log("no invariant violated");
