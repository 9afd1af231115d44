/**
 * Issue 13 item 4: a stalled run's late failure must not lower "may exist" for a later
 * run's send. The interleaving, on the real Redis through the store's compare-and-set
 * (the writes the submit worker's writeOwn fallback makes):
 *   A takes the lease and sends attempt 1, then stalls (its lease runs out);
 *   B takes a new lease and sends attempt 2: timeout, outcome unknown (deferred, may exist);
 *   A wakes: its connection was refused ("nothing created" for attempt 1) and, finding
 *   no live lease, writes its deferral onto B's record.
 * The record must still say the refund may exist, so the next run looks it up first.
 */
import { afterAll, describe, expect, it } from "vitest";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import type { RefundEvent } from "../../src/domain/refund-state.js";
import { decideSubmit } from "../../src/domain/submit-decision.js";
import { RefundStore } from "../../src/store/refund-store.js";
import { connect, usePrefix } from "../helpers/redis.js";

const redis = connect();
afterAll(async () => {
  await redis.quit();
});

const T0 = Date.UTC(2026, 0, 1);

describe("a deferral never lowers may-exist for a later send", () => {
  it("A's late 'connection refused' does not clear B's unknown outcome", async () => {
    const clock = { ms: T0 };
    const store = new RefundStore(redis, usePrefix(redis, "defer-interleave"), {
      now: () => clock.ms,
    });
    const request = parseRefundRequest({
      refundRequestId: "r-1",
      prepayId: "p-1",
      refundAmount: "5",
    });
    await store.create(request);
    const startA = await store.transition("r-1", {
      type: "submit-started",
      attempt: 1,
      leaseOwner: "A",
      leaseUntilMs: T0 + 1_000,
      sentAtMs: T0,
    });
    if (!startA.applied) throw new Error("A's lease");
    const aView = startA.record; // what run A holds while it stalls

    clock.ms = T0 + 60_000; // A's lease has long expired
    const startB = await store.transition("r-1", {
      type: "submit-started",
      attempt: 2,
      leaseOwner: "B",
      leaseUntilMs: clock.ms + 1_000,
      sentAtMs: clock.ms,
    });
    if (!startB.applied) throw new Error("B's lease");
    const unknown: RefundEvent = {
      type: "submit-deferred",
      mayExist: true,
      error: { code: "TIMEOUT", message: "no answer" },
      sentAttempt: startB.record.attempts,
    };
    expect((await store.transition("r-1", unknown, startB.record)).applied).toBe(true);

    // A wakes with its stale view: the compare-and-set conflicts, then (no live lease)
    // its deferral is applied to the fresh record, as writeOwn does.
    const refusedA: RefundEvent = {
      type: "submit-deferred",
      mayExist: false,
      error: { code: "ECONNREFUSED", message: "connection refused" },
      sentAttempt: aView.attempts,
    };
    const first = await store.transition("r-1", refusedA, aView, { retryOnConflict: false });
    expect(first).toMatchObject({ applied: false, reason: "conflict" });
    const fresh = await store.transition("r-1", refusedA);
    expect(fresh.applied).toBe(true);

    const record = await store.get("r-1");
    expect(record?.submit.mayExist).toBe(true);
    const next = decideSubmit(record, clock.ms + 10_000, "C", {
      timeoutMs: 1_000,
      leaseMarginMs: 500,
      unknownOutcomeGraceMs: 1_000,
      pollFirstDelayMs: 1_000,
    });
    expect(next.action).toBe("look-up");
  });
});
