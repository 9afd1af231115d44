/**
 * The HTTP surface with QUEUE_SHARDS=3 (issue 15 item 2): refunds of orders that live in
 * different shards are found by their refundRequestId alone — GatePay's webhooks finalize
 * each one in its own shard, and `GET /refunds/:id` answers each — over real HTTP, with
 * the sandbox sending the notifications (polls are slowed to a minute, so only the
 * webhook can be what finalizes them).
 */
import { describe, expect, it } from "vitest";
import { shardOf } from "../../src/domain/shard.js";
import { startService, waitAccepted, waitAllAcked } from "../helpers/http-webhooks.js";

const SHARDS = 3;
const TOKEN = "http-shards-token-7d2e9c41";

/** One order per shard: the first prepayIds (from 5100) that land in shards 0, 1 and 2. */
function ordersPerShard(): string[] {
  const found = new Map<number, string>();
  for (let n = 5100; found.size < SHARDS; n++) {
    const id = String(n);
    const shard = shardOf(id, SHARDS);
    if (!found.has(shard)) found.set(shard, id);
  }
  return [...found.entries()].sort(([a], [b]) => a - b).map(([, id]) => id);
}

describe("HTTP with QUEUE_SHARDS=3", () => {
  it("finalizes each shard's refund from GatePay's webhook and answers GET /refunds/:id for each", async () => {
    const s = await startService("http-shards", {
      sandbox: { webhook: { schedule: "compressed", sendProcess: true } },
      env: { QUEUE_SHARDS: String(SHARDS), API_TOKEN: TOKEN },
    });
    const orders = ordersPerShard();
    const ids = orders.map((_, i) => `HS${i}`);
    for (const [i, prepayId] of orders.entries()) {
      s.p.sandbox.seedOrders({ prepayId, amount: "100", currency: "USDT", kind: "order" });
      await s.p.producer.enqueue({ refundRequestId: ids[i]!, prepayId, refundAmount: "4.25" });
    }
    // Every refund is stored in its order's shard, one per shard.
    const shardsUsed = orders.map((o) => s.p.producer.shards.shardOfOrder(o));
    expect(shardsUsed).toEqual([0, 1, 2]);

    for (const id of ids) await waitAccepted(s, id);
    for (const id of ids) s.p.sandbox.settleNow({ refundRequestId: id, status: "SUCCESS" });
    for (const id of ids) {
      const r = await s.p.waitFinal(id);
      expect(r.state, id).toBe("succeeded");
      // The notification, not a poll, settled it: the webhook found the record by id.
      expect(r.gatepay, id).toMatchObject({ source: "webhook", status: "REFUND_SUCCESS" });
      expect(s.p.sandbox.ledger.refundsFor(id), id).toHaveLength(1);
    }
    await waitAllAcked(s);
    expect(s.p.sandbox.counters().requests.refundDetails).toBe(0);

    for (const [i, id] of ids.entries()) {
      const res = await fetch(`${s.server.url}/refunds/${id}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status, id).toBe(200);
      expect(await res.json(), id).toMatchObject({
        refundRequestId: id,
        state: "succeeded",
        request: { prepayId: orders[i] },
      });
    }
    const missing = await fetch(`${s.server.url}/refunds/HS-none`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(missing.status).toBe(404);
  });
});
