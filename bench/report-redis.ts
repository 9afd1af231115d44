/**
 * The Redis commands per refund and the record memory sections.
 */
import { COMMANDS_RATIO_GUARD, COMMANDS_RATIO_TARGET, type RedisCost } from "./redis-cost.js";
import { cost, f0, f1, f2, fx3, met, sumKinds, table } from "./report-format.js";
import type { BenchResults } from "./report-types.js";

export function redisSection(r: BenchResults): string {
  const rc = r.redisCost;
  if (!rc?.length) return "";
  const parts = ["## 5. Redis commands per refund lifecycle"];
  parts.push(
    "",
    "INFO commandstats deltas on the dedicated Redis over N refunds, divided by N; commands run " +
      "inside Lua scripts are counted (Redis counts them), as is each EVALSHA. Producer and " +
      "workers included, sandbox excluded (it does not use Redis). Two regimes:",
    "",
    "- **saturated** (deterministic; the test guards it): queues paused, every refund enqueued, " +
      "then the submit queue and after it the poll queue drained, so each job is fetched by its " +
      "predecessor's moveToFinished;",
    "- **free-running**: everything enqueued with both workers running. Whenever a worker slot " +
      "finds its queue empty, its next job costs a fetch cycle (blocking marker read + " +
      "moveToActive, about 9 commands) — how often depends on timing, and the pipeline's poll queue " +
      "runs dry more often than the baseline's, so this ratio wanders by a few percent from run to run.",
    "",
  );
  const rows: string[][] = [];
  for (const regime of ["saturated", "bulk"] as const) {
    const b = cost(rc, "baseline", regime);
    const p = cost(rc, "pipeline", regime);
    if (!b || !p) continue;
    const x = p.commandsPerRefund / b.commandsPerRefund;
    rows.push([
      regime === "bulk" ? "free-running" : regime,
      String(p.refunds),
      f1(b.commandsPerRefund),
      f1(p.commandsPerRefund),
      fx3(x),
      `≤ ${COMMANDS_RATIO_TARGET}× (${met(x <= COMMANDS_RATIO_TARGET)})`,
      `${f0(b.redisCpuUsPerRefund)} / ${f0(p.redisCpuUsPerRefund)}`,
    ]);
  }
  parts.push(
    table(
      [
        "regime",
        "refunds",
        "baseline cmds/refund",
        "pipeline cmds/refund",
        "ratio",
        "target",
        "Redis CPU µs/refund (baseline / pipeline)",
      ],
      rows,
    ),
  );
  const b = cost(rc, "baseline", "saturated") ?? cost(rc, "baseline", "bulk");
  const p = cost(rc, "pipeline", "saturated") ?? cost(rc, "pipeline", "bulk");
  if (b && p && p.regime === "saturated") {
    const pn = Math.floor(p.commandsPerRefund);
    const bn = Math.floor(b.commandsPerRefund);
    parts.push(
      "",
      `In the saturated regime every refund costs a whole number of commands — ${pn} for the ` +
        `pipeline, ${bn} for the baseline (${fx3(pn / bn)}); the fractions are per-run constants ` +
        "(the first fetches of each drain, script loads) spread over the refunds. " +
        `The guard test allows ${COMMANDS_RATIO_GUARD}×: ` +
        (pn / bn >= COMMANDS_RATIO_GUARD - 1e-9 || Math.floor(bn * COMMANDS_RATIO_GUARD - pn) < 1
          ? "the pipeline is at the limit, one more command per refund and the guard fails."
          : `headroom before it fails: ${Math.floor(bn * COMMANDS_RATIO_GUARD - pn)} command(s) per refund.`),
    );
  }
  if (b && p) {
    const names = new Set([...b.byCommand.map(([n]) => n), ...p.byCommand.map(([n]) => n)]);
    const get = (c: RedisCost, n: string) => c.byCommand.find(([x]) => x === n)?.[1] ?? 0;
    const rows2 = [...names]
      .map((n) => ({ n, b: get(b, n), p: get(p, n) }))
      .filter((x) => x.b >= 0.05 || x.p >= 0.05)
      .sort((x, y) => y.p - y.b - (x.p - x.b) || y.p - x.p)
      .map((x) => [
        x.n,
        f2(x.b),
        f2(x.p),
        (x.p - x.b >= 0 ? "+" : "") + f2(x.p - x.b),
        x.p - x.b >= 0.5 ? (EXTRA_COMMANDS[x.n] ?? "") : "",
      ]);
    parts.push(
      "",
      `Per command, per refund (${p.regime === "bulk" ? "free-running" : p.regime}), largest extra first:`,
      "",
      table(
        [
          "command",
          "baseline",
          "pipeline",
          "extra",
          "where the extra comes from (reading the code)",
        ],
        rows2,
      ),
    );
  }
  return parts.join("\n");
}

/** Where the pipeline's extra calls of a command come from (src/store, src/worker). */
export const EXTRA_COMMANDS: Record<string, string> = {
  hget: "the record read at the start of each job",
  hset: "the record write of the create and of each transition (the accepted one also notes the poll job: setDriver); the reservation entry; the order amount GatePay reported (learnOrderAmount, in the accepted transition's script)",
  xadd: "one events-stream entry per transition (created, submitting, accepted, succeeded)",
  zadd: "the in-flight index (create, submitting, accepted with the poll's due time)",
  zrem: "the in-flight entry removed when final",
  evalsha: "the store's scripts: one create, one per transition",
  exists: "custom job ids: BullMQ checks that the id is new",
  time: "the submit job's clock on Redis (readRecordClock-1.lua: the record, TIME and an INFO for the server's epoch in one script; this count leaves INFO out with the measurement's own INFO calls)",
  hmget:
    "the create script's look-ups of an existing record and of the order's cap and reservation; each transition's compare-and-set (version and write id)",
  hincrby: "the over-refund reservation",
  multi: "setDriver's transaction",
  exec: "setDriver's transaction",
};

export function recordMemorySection(r: BenchResults): string {
  const p = cost(r.redisCost, "pipeline", "bulk") ?? cost(r.redisCost, "pipeline", "saturated");
  const b = cost(r.redisCost, "baseline", "bulk") ?? cost(r.redisCost, "baseline", "saturated");
  if (!p || !b) return "";
  const k = (c: RedisCost) => c.memoryByKind;
  return [
    "## 6. Redis memory per final refund",
    "",
    `After ${f0(p.refunds)} refunds reached their final state: MEMORY USAGE of every key of the ` +
      "run's prefix by kind, per refund, and the growth of `used_memory` per refund. Completed " +
      "jobs are retained for an hour (up to 10,000 per queue) by both systems; records stay.",
    "",
    table(
      ["bytes per refund", "baseline", "pipeline", "target"],
      [
        [
          "refund record hash (the final record)",
          "–",
          f0(p.recordBytes),
          `≤ 2,048 (${met(p.recordBytes <= 2048)})`,
        ],
        ["order reservation hash", "–", f0(k(p).order), ""],
        ["events stream (capped at 100,000 entries)", "–", f0(k(p).events), ""],
        ["retained BullMQ job hashes (2 per refund)", f0(k(b).jobs), f0(k(p).jobs), ""],
        ["BullMQ sets, lists and its own event streams", f0(k(b).other), f0(k(p).other), ""],
        ["all keys", f0(sumKinds(b)), f0(sumKinds(p)), ""],
        ["used_memory growth", f0(b.usedMemoryPerRefund), f0(p.usedMemoryPerRefund), ""],
      ],
    ),
  ].join("\n");
}
