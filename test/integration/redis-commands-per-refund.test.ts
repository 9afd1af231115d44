/**
 * Guard on the Redis cost of a refund lifecycle (DESIGN.md "Performance"): the pipeline
 * (records, reservation, event stream, leases, poll bookkeeping) may spend at most
 * COMMANDS_RATIO_GUARD (1.40×: what it reaches, 1.384×, plus about one command per refund of
 * headroom; issue 17's target is 1.3×) the Redis commands of a bare BullMQ lifecycle
 * making the same two GatePay calls.
 *
 * Commands are counted with INFO commandstats (Lua-internal commands included) on a
 * redis-server of this file's own, so no other test's traffic is counted. The refunds run
 * in the `saturated` regime (bench/redis-cost.ts): queues paused while the refunds are
 * enqueued, then drained phase by phase, so almost every job is fetched by its
 * predecessor's moveToFinished and the count is the lifecycle's own — the same in every
 * run, whatever the machine's speed or load. No timing is asserted. `npm run bench`
 * reports this figure, the free-running one and the per-command breakdown in
 * BENCHMARKS.md.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { COMMANDS_RATIO_GUARD, measureRedisCost, type RedisCost } from "../../bench/redis-cost.js";
import { BENCH_CLIENT_ID, BENCH_SECRET } from "../../bench/refunds.js";
import { startBenchRedis, type BenchRedis } from "../../bench/redis-server.js";

const REFUNDS = 300;
const MAX_RATIO = COMMANDS_RATIO_GUARD;

describe("Redis commands per refund lifecycle", () => {
  let redis: BenchRedis;
  let sandbox: Sandbox;

  beforeAll(async () => {
    redis = await startBenchRedis();
    sandbox = await startSandbox({
      clientId: BENCH_CLIENT_ID,
      secretKey: BENCH_SECRET,
      settleDelayMs: 0,
    });
  });

  afterAll(async () => {
    await sandbox?.close();
    await redis?.close();
  });

  it(`stays within ${MAX_RATIO}× the bare BullMQ baseline`, { timeout: 180_000 }, async () => {
    const run = (mode: "baseline" | "pipeline"): Promise<RedisCost> =>
      measureRedisCost({
        redisUrl: redis.url,
        sandboxUrl: sandbox.url,
        mode,
        refunds: REFUNDS,
        concurrency: 10,
        regime: "saturated",
        prefix: `{guard-${mode}}`,
      });
    const baseline = await run("baseline");
    const pipeline = await run("pipeline");

    // Both really ran the lifecycle: two jobs' worth of BullMQ scripts per refund, and
    // the pipeline wrote its records (one events-stream entry per transition).
    expect(baseline.commandsPerRefund).toBeGreaterThan(20);
    expect(pipeline.byCommand.find(([name]) => name === "xadd")?.[1]).toBeGreaterThan(
      baseline.byCommand.find(([name]) => name === "xadd")?.[1] ?? 0,
    );
    expect(pipeline.recordBytes).toBeGreaterThan(0);

    const ratio = pipeline.commandsPerRefund / baseline.commandsPerRefund;
    const detail =
      `pipeline ${pipeline.commandsPerRefund.toFixed(1)} vs baseline ` +
      `${baseline.commandsPerRefund.toFixed(1)} commands per refund (ratio ${ratio.toFixed(3)}); ` +
      `pipeline by command: ${pipeline.byCommand.map(([n, c]) => `${n} ${c.toFixed(2)}`).join(", ")}`;
    expect(ratio, detail).toBeLessThanOrEqual(MAX_RATIO);
  });
});
