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
    } finally {
      await queues.close();
    }
  });
});
