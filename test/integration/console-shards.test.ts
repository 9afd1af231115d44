/**
 * The operator console and `GET /attention` with QUEUE_SHARDS=3 on one Redis: refunds of
 * orders in every shard, a dead one and two flagged ones outside shard 0. Every view
 * shows all of them (counts summed, lists merged newest first, the batch's progress and
 * report over every shard), a refund's jobs come from its own shard's queues, and replay
 * acts on the record's own shard.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { shardOf, shardPrefix } from "../../src/domain/shard.js";
import { runBatch } from "../../src/producer/batch/index.js";
import {
  ADMIN_TOKEN,
  batchFile,
  bearer,
  get,
  login,
  makeDead,
  post,
  startConsole,
} from "../helpers/console.js";
import type { Pipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

const SHARDS = 3;

/** One order id per shard, in shard order. */
function ordersOverShards(): string[] {
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < SHARDS; i++) {
    const id = `77009900${i}`;
    if (!byShard.has(shardOf(id, SHARDS))) byShard.set(shardOf(id, SHARDS), id);
  }
  return [0, 1, 2].map((s) => byShard.get(s)!);
}

/** Notes a contradiction on `id`'s record and in its shard's attention index, as the worker does. */
async function flag(p: Pipeline, id: string, prepayId: string, atMs: number): Promise<void> {
  const prefix = shardPrefix(p.prefix, shardOf(prepayId, SHARDS), SHARDS);
  const recordKey = `${prefix}:refund:${id}`;
  const rec = JSON.parse((await p.redis.hget(recordKey, "rec"))!) as Record<string, unknown>;
  rec["attention"] = { code: "SUCCESS_AFTER_REFUSAL", at: new Date(atMs).toISOString() };
  await p.redis.hset(recordKey, "rec", JSON.stringify(rec));
  await p.redis.zadd(`${prefix}:attention`, atMs, id);
}

describe("console with QUEUE_SHARDS=3", () => {
  it("shows the refunds, batch and attention of every shard, and replays in the record's shard", async () => {
    const { p, server } = await startConsole("console-shards", {
      env: { QUEUE_SHARDS: String(SHARDS) },
    });
    const orders = ordersOverShards();
    for (const prepayId of orders) {
      p.sandbox.seedOrders({ prepayId, amount: "1000", currency: "USDT", kind: "order" });
    }
    await p.startWorkers();

    // Six rows, two per shard (row i on orders[(i-1) % 3]), and an invalid row (line 8).
    const run = await runBatch(p.producer, await batchFile("SB", 6, orders), {
      batchId: "shard-b1",
    });
    await run.dispose();
    for (let i = 1; i <= 6; i++) await p.waitFinal(`SB${i}`, 30_000);
    await makeDead(p, "SD1", "3", orders[2]);
    const now = Date.now();
    await flag(p, "SB2", orders[1]!, now - 60_000); // shard 1, older
    await flag(p, "SB3", orders[2]!, now); // shard 2, newer

    // Another deployment whose prefix the walk's glob also matches is not counted.
    const alien = `${p.prefix.slice(0, -1)}-staging}:refund:ALIEN1`;
    await p.redis.hset(alien, "st", "succeeded");
    onTestFinished(async () => void (await p.redis.del(alien)));

    const overview = await get(server, "/console", bearer);
    expect(overview.text).toContain('<td data-state-count="succeeded">6</td>');
    expect(overview.text).toContain('<td data-state-count="dead">1</td>');
    expect(overview.text).toMatch(/7 refunds reached a final state in the last hour/);
    // Queue depths: every shard's queues summed.
    let completed = 0;
    for (const q of p.producer.shardQueues) {
      completed += (await q.submit.getJobCounts("completed"))["completed"] ?? 0;
    }
    expect(completed).toBeGreaterThanOrEqual(6);
    expect(overview.text).toMatch(
      new RegExp(
        `<th scope="row">${p.producer.queues.submit.name}</th>(<td>\\d+</td>){4}<td>${completed}</td>`,
      ),
    );

    const attention = await get(server, "/console/attention", bearer);
    expect(attention.text).toContain("Dead (1)");
    expect(attention.text).toContain('href="/console/refunds/SD1#replay"');
    expect(attention.text).toContain("Conflicts (2)");
    const newer = attention.text.indexOf(">SB3<");
    const older = attention.text.indexOf(">SB2<");
    expect(newer).toBeGreaterThan(0);
    expect(older).toBeGreaterThan(newer);
    expect(attention.text).toContain("<code>SUCCESS_AFTER_REFUSAL</code>");

    const api = await fetch(`${server.url}/attention`, { headers: bearer });
    const listed = (await api.json()) as { count: number; refunds: { refundRequestId: string }[] };
    expect(listed.count).toBe(2);
    expect(listed.refunds.map((r) => r.refundRequestId)).toEqual(["SB3", "SB2"]);
    const capped = await fetch(`${server.url}/attention?limit=1`, { headers: bearer });
    expect(((await capped.json()) as typeof listed).refunds.map((r) => r.refundRequestId)).toEqual([
      "SB3",
    ]);

    const batches = await get(server, "/console/batches", bearer);
    expect(batches.text).toContain('href="/console/batches/shard-b1"');
    const progress = await get(server, "/console/batches/shard-b1/progress.json", bearer);
    expect(JSON.parse(progress.text)).toMatchObject({
      percent: 100,
      final: 6,
      total: 6,
      byState: { succeeded: 6 },
    });
    const batch = await get(server, "/console/batches/shard-b1", bearer);
    expect(batch.status).toBe(200);
    expect(batch.text).toContain('value="100"');
    expect(batch.text).toMatch(/<td>8<\/td><td>invalid<\/td><td>SBBAD<\/td>/);
    const report = await get(server, "/console/batches/shard-b1/report.csv", bearer);
    const lines = report.text.trim().split("\r\n");
    const created = lines.filter((l) => /^,SB\d,created,succeeded,shard-b1,/.test(l));
    expect(created.map((l) => l.split(",")[1])).toEqual(["SB1", "SB2", "SB3", "SB4", "SB5", "SB6"]);
    expect(lines.some((l) => l.startsWith("8,SBBAD,invalid,invalid,"))).toBe(true);

    // A refund of shard 2: its page and its submit job (in shard 2's queue).
    const page = await get(server, "/console/refunds/SB3", bearer);
    expect(page.status).toBe(200);
    expect(page.text).toContain("<code>submit-SB3</code>");

    // Replay of the dead refund (shard 2) through the console.
    const { cookie, csrf } = await login(server);
    const deadPage = await get(server, "/console/refunds/SD1", { cookie });
    expect(deadPage.text).toContain("Look up and replay");
    expect(deadPage.text).toContain("<code>submit-SD1</code>");
    const version = /name="version" value="(\d+)"/.exec(deadPage.text)?.[1] ?? "";
    const ok = await post(
      server,
      "/console/refunds/SD1/replay",
      { csrf, adminToken: ADMIN_TOKEN, version },
      { cookie },
    );
    expect(ok.status).toBe(303);
    expect((await p.waitFinal("SD1", 30_000)).state).toBe("succeeded");
    expect(p.sandbox.ledger.refundsFor("SD1")).toHaveLength(1);
    await waitFor(
      async () => {
        const after = await get(server, "/console", bearer);
        return after.text.includes('<td data-state-count="succeeded">7</td>') ? after : null;
      },
      "the overview to count the replayed refund",
      10_000,
      200,
    );
  });
});
