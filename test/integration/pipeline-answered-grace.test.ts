/**
 * After an answered failure (HTTP 500 with GatePay's 300000) the first lookup waits the
 * grace period from the answer's arrival, not from the send plus the request timeout:
 * with a 30 s timeout and a 2 s grace, the refund is looked up within seconds. A
 * timeout (no answer) still waits send + timeout + grace. Strict duplicate mode: a
 * blind re-send would show as a second refund in the sandbox's ledger.
 */
import { describe, expect, it } from "vitest";
import { startPipeline } from "../helpers/pipeline.js";

const ORDER = "1647438500687506";
const TIMEOUT_MS = 30_000;
const GRACE_MS = 2_000;
/**
 * The grace counts from the answer's arrival, which is before the deferral is written (its
 * history time): on a loaded machine the two can be far apart, so the lower bounds allow
 * that much.
 */
const WRITE_SLACK_MS = 1_000;

function eventTimes(history: { event: string; at: string }[], event: string): number[] {
  return history.filter((h) => h.event === event).map((h) => Date.parse(h.at));
}

describe("look-up grace after an answered failure", () => {
  it("HTTP 500: looked up a grace period after the answer, then re-sent once", async () => {
    const p = await startPipeline({
      name: "grace-500",
      workers: false,
      settings: { timeoutMs: TIMEOUT_MS, unknownOutcomeGraceMs: GRACE_MS },
    });
    p.sandbox.seedOrders({ prepayId: ORDER, amount: "100", currency: "USDT", kind: "order" });
    p.sandbox.faults.script("orderRefund", ["http500"]);
    await p.startWorkers();
    await p.producer.enqueue({ refundRequestId: "G500", prepayId: ORDER, refundAmount: "1" });
    // Without the answer time this would wait the 30 s timeout first: longer than this wait.
    const final = await p.waitFinal("G500", 20_000);
    expect(final.state).toBe("succeeded");
    expect(p.sandbox.ledger.refundsFor("G500")).toHaveLength(1);
    const [deferredAt] = eventTimes(final.history, "submit-deferred");
    const notFound = eventTimes(final.history, "not-found");
    // The two "not found" rule stays: two lookups a grace period apart before the re-send.
    expect(notFound).toHaveLength(2);
    expect(notFound[0]! - deferredAt!).toBeGreaterThanOrEqual(GRACE_MS - WRITE_SLACK_MS);
    expect(notFound[0]! - deferredAt!).toBeLessThan(TIMEOUT_MS);
    expect(notFound[1]! - notFound[0]!).toBeGreaterThanOrEqual(GRACE_MS - WRITE_SLACK_MS);
  });
});
