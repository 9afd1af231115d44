/**
 * Issue 13 item 3 on the real Redis: a details answer about another order under our
 * refundRequestId (another deployment reusing the id) never marks ours succeeded; the
 * refund goes `dead` with ANSWER_MISMATCH and an error log.
 */
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { reportFromDetails } from "../../src/gatepay/refund-report.js";
import { createRefundQueues } from "../../src/jobs/refund-queues.js";
import { createLogger } from "../../src/logger.js";
import { RefundStore } from "../../src/store/refund-store.js";
import { applyReport } from "../../src/worker/apply-report.js";
import { reportContextFromStore } from "../../src/worker/webhook-receiver.js";
import { connect, usePrefix } from "../helpers/redis.js";

const redis = connect();
afterAll(async () => {
  await redis.quit();
});

describe("answer mismatch", () => {
  it.each([
    ["another order", { orderId: "p-other", requestAmount: "5" }],
    ["another amount", { orderId: "p-1", requestAmount: "7" }],
  ])("a SUCCESS about %s goes dead with ANSWER_MISMATCH, never succeeded", async (_n, fields) => {
    const prefix = usePrefix(redis, "mismatch");
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
    try {
      await store.create(
        parseRefundRequest({ refundRequestId: "r-1", prepayId: "p-1", refundAmount: "5" }),
      );
      const started = await store.transition("r-1", {
        type: "submit-started",
        attempt: 1,
        leaseOwner: "w",
        leaseUntilMs: Date.now() + 10_000,
      });
      if (!started.applied) throw new Error("fixture");
      const ctx = reportContextFromStore({
        store,
        queues,
        logger,
        settings: {
          submitMaxAttempts: 3,
          timeoutMs: 1000,
          leaseMarginMs: 1000,
          unknownOutcomeGraceMs: 1000,
          backoff: { baseMs: 10, capMs: 100 },
          poll: { firstDelayMs: 10, maxDelayMs: 100, deadlineMs: 1000 },
        },
      });
      const report = reportFromDetails(
        { refundRequestId: "r-1", status: "SUCCESS", ...fields },
        new Date().toISOString(),
      );
      await applyReport(ctx, started.record, report, logger);
      const record = await store.get("r-1");
      expect(record?.state).toBe("dead");
      expect(record?.lastError?.code).toBe("ANSWER_MISMATCH");
      expect(record?.gatepay).toBeUndefined();
      // The reservation stays: money may have moved for someone, not for us to reuse.
      expect((await store.orderReservation("p-1")).reserved).toBe("5");
      const logged = lines.map((l) => JSON.parse(l) as { level: number; code?: string });
      expect(logged.some((l) => l.level === 50 && l.code === "ANSWER_MISMATCH")).toBe(true);
    } finally {
      await queues.close();
    }
  });
});
