/**
 * `npm run bench` sizes and sections, from the environment (see bench/run.ts for the list
 * of variables and what each section costs).
 */
const env = process.env;
export const quick = env["BENCH_QUICK"] === "1";

const num = (name: string, full: number, small: number): number => {
  const v = env[name];
  if (v === undefined || v === "") return quick ? small : full;
  const n = Number(v.replace(/_/g, ""));
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a number ≥ 0`);
  return n;
};
const list = (name: string, full: string, small: string): number[] =>
  (env[name] ?? (quick ? small : full))
    .split(",")
    .filter((s) => s.trim() !== "")
    .map((s) => Number(s.trim()));

export const settings = {
  refunds: num("BENCH_REFUNDS", 600, 300),
  rounds: num("BENCH_ROUNDS", 3, 3),
  warmup: num("BENCH_WARMUP", 200, 100),
  roundMs: num("BENCH_ROUND_MS", 1_500, 800),
  latencies: list("BENCH_LATENCY", "0,50", "0,50"),
  concurrencies: list("BENCH_CONCURRENCY", "10,50,200", "10,50"),
  fetchAt: env["BENCH_FETCH"] ?? "50",
  durabilityLatencies: list("BENCH_DURABILITY_LATENCY", "0,50", "0,50"),
  durabilityConcurrency: num("BENCH_DURABILITY_CONCURRENCY", 50, 50),
  scaleLatencies: list("BENCH_SCALE_LATENCY", "0,50", "0"),
  scaleConcurrency: num("BENCH_SCALE_CONCURRENCY", 50, 50),
  enqueue: num("BENCH_ENQUEUE", 100_000, 10_000),
  enqueueRuns: num("BENCH_ENQUEUE_RUNS", 3, 1),
  rssRows: num("BENCH_RSS_ROWS", 1_000_000, 100_000),
  rssEnqueueRows: list("BENCH_RSS_ENQUEUE_ROWS", "100000,1000000", "2000,10000"),
  costRefunds: num("BENCH_COST_REFUNDS", 500, 200),
  webhooks: num("BENCH_WEBHOOKS", 500, 200),
  clientPairs: num("BENCH_CLIENT_PAIRS", 600, 300),
  recoveryKills: num("BENCH_RECOVERY_KILLS", 4, 2),
  recoveryFeed: num("BENCH_RECOVERY_FEED", 40, 40),
  unknownRefunds: num("BENCH_UNKNOWN_REFUNDS", 300, 100),
};

export const SECTIONS = [
  "signing",
  "cost",
  "lifecycle",
  "profile",
  "durability",
  "scale",
  "cluster",
  "client",
  "unknown",
  "webhook",
  "enqueue",
  "memory",
  "recovery",
] as const;
export type Section = (typeof SECTIONS)[number];

export const only = (env["BENCH_ONLY"] ?? "").split(",").filter((s) => s !== "");
for (const s of only) {
  if (!(SECTIONS as readonly string[]).includes(s)) {
    throw new RangeError(`BENCH_ONLY: unknown section ${s} (expected ${SECTIONS.join(", ")})`);
  }
}
export const wants = (s: Section): boolean => only.length === 0 || only.includes(s);
