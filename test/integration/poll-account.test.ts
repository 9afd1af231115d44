/**
 * Issue 13 item 2: polls ask the account the refund was sent under. A refund sent in
 * institution mode for sub-account A keeps being polled under A after the deployment's
 * GATEPAY_ON_BEHALF_OF changes to B (the sandbox, like GatePay, shows a refund only to
 * the account that made it). Before the fix the poll asked B, never saw the refund, and
 * it ended `stuck`.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { startRefundWorkers } from "../../src/worker/start-workers.js";
import { FAST_SETTINGS, startPipeline } from "../helpers/pipeline.js";

const ORDER = "8800001";

describe("poll account", () => {
  it("a refund sent under sub-account A is polled under A after GATEPAY_ON_BEHALF_OF becomes B", async () => {
    const p = await startPipeline({
      name: "poll-account",
      workers: false,
      env: { GATEPAY_ON_BEHALF_OF: "sub-A" },
    });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    // Poll 1 is due 3 s after acceptance: the first workers stop before it.
    const first = await p.startWorkers({
      poll: { ...FAST_SETTINGS.poll!, firstDelayMs: 3_000, maxDelayMs: 3_000 },
    });
    await p.producer.enqueue({ refundRequestId: "PA1", prepayId: ORDER, refundAmount: "5" });
    const accepted = await p.waitState("PA1", "accepted");
    expect(accepted.submit.onBehalfOf).toBe("sub-A");
    await first.close();

    const second = await startRefundWorkers({
      config: { ...p.config, gatepay: { ...p.config.gatepay, onBehalfOf: "sub-B" } },
      logger: createLogger({ level: "silent" }),
      settings: FAST_SETTINGS,
      reconciler: { intervalMs: 0 },
    });
    try {
      const final = await p.waitFinal("PA1", 30_000);
      expect(final.state).toBe("succeeded");
      expect(final.gatepay?.source).toBe("details");
    } finally {
      await second.close();
    }
  });
});
