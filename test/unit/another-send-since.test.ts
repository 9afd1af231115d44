/**
 * anotherSendSince: a failing submit run writes its failure over a moved record only when
 * no other run has leased or sent since its view. Driven through the real transitions.
 */
import { describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { applyRefundEvent, type RefundEvent } from "../../src/domain/refund-state.js";
import { anotherSendSince } from "../../src/domain/submit-decision.js";
import { recordIn } from "../helpers/refund-state-fixtures.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const A = "worker-a/submit-r-1/1";
const B = "worker-b/submit-r-1/2";

const queued = (): RefundRecord => recordIn("queued");

function apply(record: RefundRecord, event: RefundEvent, nowMs: number): RefundRecord {
  const out = applyRefundEvent(record, event, nowMs);
  if (!out.changed) throw new Error(`${event.type} did not apply: ${out.reason}`);
  return out.record;
}

const started = (r: RefundRecord, owner: string, atMs: number) =>
  apply(
    r,
    {
      type: "submit-started",
      attempt: r.attempts + 1,
      leaseOwner: owner,
      leaseUntilMs: atMs + 12_000,
      sentAtMs: atMs,
    },
    atMs,
  );
const deferred = (r: RefundRecord, mayExist: boolean, atMs: number) =>
  apply(r, { type: "submit-deferred", mayExist, error: { code: "X", message: "x" } }, atMs);

describe("anotherSendSince", () => {
  it("false when nothing moved, or only something other than a send did", () => {
    const mine = started(queued(), A, T0);
    expect(anotherSendSince(mine, mine)).toBe(false);
    const redriven = apply(mine, { type: "redriven" }, T0 + 1_000);
    expect(anotherSendSince(mine, redriven)).toBe(false);
  });

  it("true when another run holds a lease taken since (live or not)", () => {
    const mine = started(queued(), A, T0);
    const afterMe = deferred(mine, true, T0 + 13_000);
    const theirs = started(afterMe, B, T0 + 60_000);
    expect(anotherSendSince(mine, theirs)).toBe(true);
  });

  it("true when another run sent and already recorded an unknown outcome (its lease cleared)", () => {
    // The case that could pay twice: A stalled past its lease; B sent, its answer was
    // lost (mayExist), its lease cleared. A's stale "nothing sent" must not clear that.
    const mine = started(queued(), A, T0);
    const theirs = deferred(
      started(deferred(mine, true, T0 + 13_000), B, T0 + 60_000),
      true,
      T0 + 71_000,
    );
    expect(theirs.submit.leaseOwner).toBeUndefined();
    expect(theirs.submit.mayExist).toBe(true);
    expect(anotherSendSince(mine, theirs)).toBe(true);
  });

  it("a look-up run's view (no lease of its own) is compared the same way", () => {
    const sentOnce = deferred(started(queued(), A, T0), true, T0 + 10_000);
    const lookUpView = sentOnce;
    expect(anotherSendSince(lookUpView, apply(sentOnce, { type: "redriven" }, T0 + 20_000))).toBe(
      false,
    );
    expect(anotherSendSince(lookUpView, started(sentOnce, B, T0 + 50_000))).toBe(true);
  });
});
