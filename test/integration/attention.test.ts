/**
 * A success GatePay reports for a refund recorded `rejected` (issue 13, item 1), end to
 * end on the real Redis: a signed webhook through the receiver, the record keeps its
 * state but carries `attention`, the refund enters `<prefix>:attention`, the amount is
 * held again against the order, the error is logged and counted.
 */
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { signRefundWebhook } from "../../src/gatepay/webhook.js";
import { createRefundQueues } from "../../src/jobs/refund-queues.js";
import { createLogger } from "../../src/logger.js";
import { RefundStore } from "../../src/store/refund-store.js";
import { createMetrics, METRIC_NAMES } from "../../src/worker/metrics.js";
import { receiveRefundWebhook, reportContextFromStore } from "../../src/worker/webhook-receiver.js";
import { connect, usePrefix } from "../helpers/redis.js";

const SECRET = "attention-webhook-secret-0123456789";
const redis = connect();
afterAll(async () => {
  await redis.quit();
});

describe("attention index", () => {
  it("a REFUND_SUCCESS for a rejected refund is noted, indexed, re-reserved, logged and counted", async () => {
    const prefix = usePrefix(redis, "attention");
    const store = new RefundStore(redis, prefix);
    const queues = createRefundQueues(redis, prefix);
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      destination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString("utf8"));
          cb();
        },
      }),
    });
    const metrics = createMetrics({ defaultMetrics: false });
    try {
      const req = (id: string, amount: string) =>
        parseRefundRequest({ refundRequestId: id, prepayId: "p-att", refundAmount: amount });
      await store.learnOrderAmount("p-att", "10");
      expect((await store.create(req("r-1", "10"))).outcome).toBe("created");
      await store.transition("r-1", {
        type: "submit-started",
        attempt: 1,
        leaseOwner: "w",
        leaseUntilMs: Date.now() + 10_000,
      });
      const rej = await store.transition("r-1", {
        type: "rejected",
        error: { code: "400608", message: "refund exceeds order" },
      });
      expect(rej.applied && rej.record.state).toBe("rejected");
      expect((await store.orderReservation("p-att")).reserved).toBe("0");

      const context = reportContextFromStore({
        store,
        queues,
        settings: {
          submitMaxAttempts: 3,
          timeoutMs: 1000,
          leaseMarginMs: 1000,
          unknownOutcomeGraceMs: 1000,
          backoff: { baseMs: 10, capMs: 100 },
          poll: { firstDelayMs: 10, maxDelayMs: 100, deadlineMs: 1000 },
        },
        logger,
        observeAttention: (code) => metrics.observeAttention(code),
      });
      const body = JSON.stringify({
        bizType: "PAY_REFUND",
        bizId: "9001",
        bizStatus: "REFUND_SUCCESS",
        clientId: "c1",
        data: JSON.stringify({ refundInfo: { refundRequestId: "r-1", prepayId: "p-att" } }),
      });
      const deliver = () =>
        receiveRefundWebhook(
          { secret: SECRET, context, logger, metrics },
          { headers: signRefundWebhook(SECRET, body), rawBody: body },
        );
      const answer = await deliver();
      expect(answer.status).toBe(200);

      const record = await store.get("r-1");
      expect(record?.state).toBe("rejected");
      expect(record?.attention?.code).toBe("SUCCESS_AFTER_REFUSAL");
      expect(await redis.zrange(`${prefix}:attention`, 0, -1)).toEqual(["r-1"]);
      expect((await store.listAttention({ limit: 10 })).map((r) => r.refundRequestId)).toEqual([
        "r-1",
      ]);
      // The 10 is held again: the order cannot be refunded a second time.
      expect((await store.orderReservation("p-att")).reserved).toBe("10");
      expect((await store.create(req("r-2", "1"))).outcome).toBe("over-refund");

      const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(errors.some((l) => l.level === 50 && l.msg.includes("contradicts"))).toBe(true);
      expect(await metrics.text()).toMatch(
        new RegExp(`${METRIC_NAMES.attention}\\{code="SUCCESS_AFTER_REFUSAL"\\} 1`),
      );

      // GatePay redelivers: noted once, reserved once.
      expect((await deliver()).status).toBe(200);
      expect((await store.get("r-1"))?.version).toBe(record?.version);
      expect((await store.orderReservation("p-att")).reserved).toBe("10");

      // A notification for a refund this deployment does not know is kept (item 7).
      const foreign = body.replaceAll("r-1", "ext-77");
      const foreignHeaders = signRefundWebhook(SECRET, foreign);
      const receive = (headers: Record<string, string>, rawBody: string) =>
        receiveRefundWebhook({ secret: SECRET, context, logger, metrics }, { headers, rawBody });
      expect((await receive(foreignHeaders, foreign)).status).toBe(200);
      // The same signed notification replayed: acknowledged, not kept or applied again.
      const replay = await receive(foreignHeaders, foreign);
      expect(replay).toMatchObject({ status: 200, outcome: "unchanged" });
      expect(await redis.xlen(`${prefix}:unmatched-notifications`)).toBe(1);
      // Signed before GatePay's 48 h retry window: refused as expired.
      const old = await receive(
        signRefundWebhook(SECRET, foreign, Date.now() - 49 * 3600 * 1000),
        foreign,
      );
      expect(old.status).toBe(401);
      expect(old.body).toContain("WEBHOOK_EXPIRED");
      expect(await redis.xlen(`${prefix}:unmatched-notifications`)).toBe(1);
      const [kept] = await store.notifications.listUnmatched({ limit: 5 });
      expect(kept).toMatchObject({
        bizType: "PAY_REFUND",
        refundRequestId: "ext-77",
        body: foreign,
      });
      expect(kept?.body).not.toMatch(/signature/i);
      expect(Date.parse(kept!.receivedAt)).toBeGreaterThan(0);
    } finally {
      await queues.close();
    }
  });
});
