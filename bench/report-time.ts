/**
 * "Where the time goes": CPU profiles, the client and transports, the unknown-outcome
 * cost, and what could be made faster.
 */
import { renderTransports } from "./report-transports.js";
import { renderUnknownOutcome } from "./report-unknown-outcome.js";
import { ratio } from "./stats.js";
import { clientBy, cost, f0, f1, f2, fx, fx3, table } from "./report-format.js";
import type { BenchResults, ProfileResult } from "./report-types.js";

export function whereTimeGoes(r: BenchResults): string {
  const parts: string[] = ["## 2. Where the pipeline's time goes"];
  const p = r.profiles?.find((x) => x.mode === "pipeline");
  const b = r.profiles?.find((x) => x.mode === "baseline");
  if (p && b) {
    const groups = new Set<string>();
    for (const x of [...p.shares.slice(0, 16), ...b.shares.slice(0, 10)]) groups.add(x.where);
    const rows = [...groups]
      .map((g) => {
        const ps = p.shares.find((x) => x.where === g)?.share ?? 0;
        const bs = b.shares.find((x) => x.where === g)?.share ?? 0;
        return { g, pms: ps * p.cpuMsPerRefund, bms: bs * b.cpuMsPerRefund, ps, bs };
      })
      .sort((x, y) => y.pms - x.pms)
      .map((x) => [
        x.g,
        `${f2(x.bms)} (${f0(x.bs * 100)} %)`,
        `${f2(x.pms)} (${f0(x.ps * 100)} %)`,
      ]);
    rows.push(["total", f2(b.cpuMsPerRefund), f2(p.cpuMsPerRefund)]);
    parts.push(
      "",
      "CPU profiles of the worker processes (0 ms latency, concurrency 50, profiled from after " +
        "start-up; `bench/profile-summary.ts`): self time charged to the npm package or project file " +
        "that caused it (native code and Node internals such as socket writes go to the nearest " +
        "owner up the call stack), in ms of CPU per refund.",
      "",
      table(["where", "baseline ms/refund (share)", "pipeline ms/refund (share)"], rows),
    );
  }
  const c = r.client;
  if (c?.length) {
    const bare = clientBy(c, "bare undici");
    const bareFetch = clientBy(c, "bare global fetch");
    const shipped = clientBy(c, "GatePayClient, shipped");
    const withFetch = clientBy(c, "GatePayClient, fetch option: global fetch");
    parts.push(
      "",
      "### The HTTP client",
      "",
      "The same call pair (signed POST + signed GET) per refund, 50 at a time, each variant in a " +
        "process of its own against the sandbox process (`bench/client.ts`). Until this benchmark " +
        "measured it, the client sent through ky over the global fetch (8.5× the CPU of bare " +
        "`request` per pair in that run); it now sends with undici's `request` by default and calls " +
        "a `fetch` only when given one.",
      "",
      table(
        ["way of calling", "pairs/s", "CPU ms per pair", "CPU vs bare undici.request"],
        c.map((x) => [
          x.variant,
          f0(x.pairsPerSecond),
          x.cpuMsPerPair.toFixed(3),
          fx(ratio(x.cpuMsPerPair, bare?.cpuMsPerPair ?? NaN)),
        ]),
      ),
    );
    if (bare && bareFetch && shipped && withFetch) {
      parts.push(
        "",
        `Reading the table: the global fetch costs ${f2(bareFetch.cpuMsPerPair - bare.cpuMsPerPair)} ms ` +
          "per pair more than undici's `request` for the same two calls (Request/Response objects, " +
          `web streams). The shipped client costs ${f2(shipped.cpuMsPerPair - bare.cpuMsPerPair)} ms ` +
          "per pair more than bare `request`: its own work per call (zod on the request and on the " +
          "answer, the lossless JSON reader, AbortSignal.timeout and AbortSignal.any, the observer). " +
          `Given the global fetch through its \`fetch\` option it costs ${f2(withFetch.cpuMsPerPair)} ms.`,
      );
    }
    parts.push(...renderTransports(c));
  }
  parts.push(...renderUnknownOutcome(r.unknownOutcome));
  parts.push("", suggestions(r));
  return parts.join("\n");
}

export function suggestions(r: BenchResults): string {
  const p = r.profiles?.find((x) => x.mode === "pipeline");
  const b = r.profiles?.find((x) => x.mode === "baseline");
  const ms = (x: ProfileResult | undefined, ...groups: string[]): number =>
    x
      ? groups.reduce((t, g) => t + (x.shares.find((s) => s.where === g)?.share ?? 0), 0) *
        x.cpuMsPerRefund
      : NaN;
  const shipped = clientBy(r.client, "GatePayClient, shipped");
  const bare = clientBy(r.client, "bare undici");
  const sat = cost(r.redisCost, "pipeline", "saturated");
  const satBase = cost(r.redisCost, "baseline", "saturated");
  const lines = [
    "### What was done, and what would close the rest of the gap",
    "",
    p && b
      ? `Per refund the pipeline's worker spends ${f2(p.cpuMsPerRefund)} ms of CPU against the ` +
        `baseline's ${f2(b.cpuMsPerRefund)}. From the profile: ioredis ${f2(ms(p, "npm: ioredis", "npm: redis-parser"))} ms ` +
        `(baseline ${f2(ms(b, "npm: ioredis", "npm: redis-parser"))}), garbage collection ${f2(ms(p, "GC"))} ms ` +
        `(baseline ${f2(ms(b, "GC"))}), logging ${f2(ms(p, "npm: pino", "npm: @pinojs/redact", "npm: sonic-boom"))} ms, ` +
        `zod ${f2(ms(p, "npm: zod"))} ms, the project's own modules ` +
        `${f2(p.shares.filter((s) => s.where.startsWith("project: src/")).reduce((t, s) => t + s.share, 0) * p.cpuMsPerRefund)} ms.`
      : "",
    "",
    "1. **Fewer Redis round trips per refund.** Done (issue 17): the accepted transition's " +
      "script notes the poll job (a field of its HSET, the due time as the score of its ZADD) " +
      "and stores the order amount GatePay reported, where `setDriver` and " +
      "`learnOrderAmount` each took a round trip after it; a submit job reads its record and " +
      "Redis's clock (with the server's epoch) in one script, readRecordClock-1.lua, and " +
      "takes its lease at that reading when it is recent, where it read the record, then " +
      "the clock (two round trips; the commands counted are the same). Left: the lease is " +
      "still a compare-and-set of its own after that read, and the record read at the start " +
      "of each poll job (HGET) stays: a poll job needs the record to skip a refund a webhook " +
      "already settled without asking GatePay.",
    "2. **Logging.** Secrets are now removed by one walk over each logged object and each " +
      "child's bindings (src/log-redaction.ts) instead of pino's 51 redact paths, which ran a " +
      "wildcard path set over every value of every line; what logging costs now is pino " +
      "building the line and sonic-boom writing it.",
    "3. **Allocation.** Each transition serialises the whole record (history included) and each " +
      "job parses it again: about 2 % of the worker's CPU in the profile (the transition " +
      "script's arguments and `decodeRecord`); writing only the changed fields needs a new " +
      "record layout in the store scripts. A 1.2 KB argument costs no more to send than a " +
      "40-byte one (measured: about 20 µs of client CPU per EVALSHA either way), so round trips, " +
      "not record size, are the cost.",
    "4. **The client's own work per call**" +
      (shipped && bare
        ? ` (${f2(shipped.cpuMsPerPair - bare.cpuMsPerPair)} ms per pair over bare \`request\`): `
        : ": ") +
      "requests, answer envelopes and the answers' data now go through hand-written readers " +
      "(src/gatepay/fast-shapes.ts) that give zod's result and leave anything odd, and every " +
      "error message, to zod; what is left is signing, the lossless JSON reader, the timeout " +
      "signals and the observer.",
    "5. **Garbage the worker made per call.** Each GatePay request's timeout was " +
      "`AbortSignal.timeout`, whose timer stayed armed for the full timeout after the answer " +
      "(at 10 s and a few hundred requests a second, thousands of live timers and their weak " +
      "references for the collector to walk); it is now a timer of the request's own, cleared " +
      "when the answer is in, aborting with the same `TimeoutError` (src/gatepay/send-attempt.ts). " +
      "Nonces come from a pooled `randomBytes` buffer by rejection sampling (every character " +
      "still equally likely, no byte used twice) instead of 32 `randomInt` calls; a tracing " +
      "call with no OpenTelemetry SDK registered skips building a no-op span; job data and " +
      "GatePay's plain amounts are read by hand-written readers that leave anything odd to " +
      "zod and the general path. An in-process replay of one refund's own-code steps went " +
      "from about 145 to 115 µs, most of it collector work on the old timers.",
  ];
  if (sat && satBase) {
    lines.push(
      "",
      `Redis commands per refund stand at ${f1(sat.commandsPerRefund)} (saturated), ${fx3(
        sat.commandsPerRefund / satBase.commandsPerRefund,
      )} the baseline (103.1 before suggestion 1: three commands and three of the worker's nine store round trips per refund fewer).`,
    );
  }
  lines.push(
    "",
    "Why the lifecycle stays short of 0.8× (issue 17): the baseline is two bare BullMQ jobs and " +
      "one hash write per refund; the pipeline also creates the record with its over-refund " +
      "reservation, in-flight entry and event (one script per 100 refunds), writes three " +
      "compare-and-set transitions (version and write id) each with its events-stream entry — " +
      "the submit intent before the POST, accepted, final — takes a lease on Redis's clock, " +
      "reads the record at the start of each job and uses fixed job ids. Each of these is a " +
      "guarantee (paid once, never over-refunded, never lost, an audit trail), so none was " +
      "dropped. The profile above puts most of the remaining CPU difference in ioredis (its " +
      "round trips and replies). Left, without weakening any of them: deciding a submit in the " +
      "script that writes it (record read, clock and lease in one round trip instead of two) " +
      "and folding a poll job's record read into its transition script — moving decision logic " +
      "into Lua, which the deterministic simulation (test/simulation) would then have to model.",
  );
  return lines.join("\n");
}
