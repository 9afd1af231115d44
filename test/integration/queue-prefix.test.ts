/**
 * The one prefix rule across entry points: a producer built with a bare library prefix
 * (`createRefundProducer({ prefix: "name" })`) and workers started with `QUEUE_PREFIX=name`
 * meet under `{name}`. Before the rule the producer wrote under `name:` and the refund
 * was never picked up.
 */
import { describe, expect, it } from "vitest";
import { QueuePrefixError } from "../../src/domain/queue-prefix.js";
import { createRefundProducer } from "../../src/producer/enqueue-refund.js";
import { startPipeline } from "../helpers/pipeline.js";

describe("queue prefix: library options and QUEUE_PREFIX name the same keys", () => {
  it("a producer with a bare prefix feeds workers with the same QUEUE_PREFIX", async () => {
    const p = await startPipeline({ name: "prefix-rule", workers: false });
    const bare = p.prefix.slice(1, -1); // "{t-prefix-rule-…}" → "t-prefix-rule-…"
    await p.startWorkers();
    expect(p.config.queuePrefix).toBe(p.prefix);
    p.sandbox.seedOrders({ prepayId: "70001", amount: "50", currency: "USDT", kind: "order" });

    const producer = createRefundProducer({ redis: p.redis, prefix: bare });
    try {
      expect(producer.store.keys.prefix).toBe(p.prefix);
      const { record } = await producer.enqueue({
        refundRequestId: "PFX-1",
        prepayId: "70001",
        refundAmount: "5",
      });
      expect(record.state).toBe("queued");
      const final = await p.waitFinal("PFX-1");
      expect(final.state).toBe("succeeded");
      expect(p.sandbox.ledger.refundsFor("PFX-1")).toHaveLength(1);
      // Nothing under the unbraced name: the bug wrote `bare:refund:PFX-1` and `bare:submit:…`.
      const [, stray] = await p.redis.scan("0", "MATCH", `${bare}:*`, "COUNT", 1000);
      expect(stray).toEqual([]);
    } finally {
      await producer.close();
    }
  });

  it("a malformed library prefix is refused before anything connects", () => {
    expect(() =>
      createRefundProducer({ redisUrl: "redis://127.0.0.1:1", prefix: "gatepay:eu" }),
    ).toThrow(QueuePrefixError);
    expect(() => createRefundProducer({ redisUrl: "redis://127.0.0.1:1", prefix: "" })).toThrow(
      /queue prefix "" must not be empty/,
    );
  });
});
