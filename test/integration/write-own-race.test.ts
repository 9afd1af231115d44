/**
 * The submit worker's fallback write (submit-refund.ts `writeOwn`) judges the fresh record
 * once; if that record moves again before its write lands (another run took the lease
 * and is sending), the write must lose, not be re-applied to the newer record unjudged.
 * Found in review after the merges: a stalled run's late `rejected` landed on the next
 * run's in-flight send, released the reservation and cleared that run's lease. This plays
 * the store calls writeOwn makes, in that interleaving, on the real Redis.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mayWriteOwnFailure } from "../../src/domain/own-failure-write.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import type { RefundEvent } from "../../src/domain/refund-state.js";
import { RefundStore } from "../../src/store/refund-store.js";
import { connect, usePrefix } from "../helpers/redis.js";

const redis = connect();
afterAll(async () => {
  await redis.quit();
});

describe("a stalled run's fallback write", () => {
  it("never lands on a send another run started after the record was judged", async () => {
    const T0 = Date.UTC(2026, 0, 1);
    const clock = { ms: T0 };
    const store = new RefundStore(redis, usePrefix(redis, "write-own-race"), {
      now: () => clock.ms,
    });
    await store.create(
      parseRefundRequest({ refundRequestId: "W1", prepayId: "PW1", refundAmount: "5" }),
    );
    const a = await store.transition("W1", {
      type: "submit-started",
      attempt: 1,
      leaseOwner: "A",
      leaseUntilMs: T0 + 12_000,
      sentAtMs: T0,
    });
    if (!a.applied) throw new Error("lease not taken");
    const aView = a.record;
    // A stalls past its lease; B looks the refund up twice and confirms "not found".
    clock.ms = T0 + 60_000;
    await store.transition("W1", { type: "not-found", confirmed: false, atMs: clock.ms });
    await store.transition("W1", { type: "not-found", confirmed: true });
    const late: RefundEvent = {
      type: "rejected",
      error: { code: "400002", message: "a late answer to A's attempt 1" },
    };
    // writeOwn, first write: against A's own view; it conflicts.
    const first = await store.transition("W1", late, aView, { retryOnConflict: false });
    expect(first.applied).toBe(false);
    const fresh = first.applied ? null : first.record;
    if (!fresh) throw new Error("no fresh record");
    expect(mayWriteOwnFailure(aView, fresh, "A", clock.ms)).toBe(true);
    // B takes the lease and its POST goes out before A's second write lands.
    await store.transition("W1", {
      type: "submit-started",
      attempt: 2,
      leaseOwner: "B",
      leaseUntilMs: clock.ms + 12_000,
      sentAtMs: clock.ms,
    });
    // writeOwn, second write: against the record it judged, never retried onto B's.
    const second = await store.transition("W1", late, fresh, { retryOnConflict: false });
    expect(second.applied).toBe(false);
    const now = await store.get("W1");
    expect(now?.state).toBe("submitting");
    expect(now?.submit.leaseOwner).toBe("B");
    expect((await store.orderReservation("PW1")).reserved).toBe("5");
  });
});
