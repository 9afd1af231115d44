import { describe, expect, it } from "vitest";
import { judgeGraceNote } from "../../src/domain/grace-clock.js";
import { decideNotFound } from "../../src/domain/not-found-decision.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { applyRefundEvent } from "../../src/domain/refund-state.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const GRACE = 30_000;

function submitting(submit: Partial<RefundRecord["submit"]> = {}): RefundRecord {
  const at = new Date(T0 - 60_000).toISOString();
  return {
    refundRequestId: "r-1",
    kind: "order",
    request: { kind: "order", refundRequestId: "r-1", prepayId: "1", refundAmount: "10" },
    state: "submitting",
    attempts: 1,
    history: [{ state: "queued", at, event: "created" }],
    createdAt: at,
    updatedAt: at,
    submit: { mayExist: true, generation: 0, ...submit },
    version: 2,
  };
}

describe("judgeGraceNote", () => {
  it.each([
    [{}, "A", { note: "none" }],
    [{ notFoundAtMs: T0, notFoundEpoch: "A" }, "A", { note: "trusted", atMs: T0 }],
    [{ notFoundAtMs: T0, notFoundEpoch: "A" }, "B", { note: "restart", previousEpoch: "A" }],
    // Notes from before epochs were kept, or an unknown current epoch: trusted.
    [{ notFoundAtMs: T0 }, "B", { note: "trusted", atMs: T0 }],
    [{ notFoundAtMs: T0, notFoundEpoch: "A" }, undefined, { note: "trusted", atMs: T0 }],
  ])("%j under %s → %j", (note, epoch, verdict) => {
    expect(judgeGraceNote(note, epoch)).toEqual(verdict);
  });

  it("a failover does not let elapsed time across it confirm a 'not found'", () => {
    // Noted on the old master; the new master's clock reads far later (another host).
    const record = submitting({ notFoundAtMs: T0, notFoundEpoch: "old" });
    const nowOnNew = T0 + 10 * GRACE;
    const trusting = decideNotFound(record.submit.notFoundAtMs, nowOnNew, GRACE);
    expect(trusting.action).toBe("confirm"); // what elapsed time alone would do
    const note = judgeGraceNote(record.submit, "new");
    const decision = decideNotFound(
      note.note === "trusted" ? note.atMs : undefined,
      nowOnNew,
      GRACE,
    );
    expect(decision).toEqual({ action: "note-first", lookAgainAtMs: nowOnNew + GRACE });
  });
});

describe("the not-found note in the record", () => {
  it("keeps the first note, unless told to restart it under a new epoch", () => {
    const noted = submitting({ notFoundAtMs: T0, notFoundEpoch: "old" });
    const again = applyRefundEvent(
      noted,
      { type: "not-found", confirmed: false, atMs: T0 + 5, epoch: "old" },
      T0,
    );
    expect(again.changed && again.record.submit).toMatchObject({
      notFoundAtMs: T0,
      notFoundEpoch: "old",
    });
    const restarted = applyRefundEvent(
      noted,
      { type: "not-found", confirmed: false, atMs: T0 + 99, epoch: "new", restart: true },
      T0,
    );
    expect(restarted.changed && restarted.record.submit).toMatchObject({
      notFoundAtMs: T0 + 99,
      notFoundEpoch: "new",
    });
  });

  it("a confirmed 'not found' or a new send clears the note and its epoch", () => {
    const noted = submitting({ notFoundAtMs: T0, notFoundEpoch: "old" });
    const confirmed = applyRefundEvent(noted, { type: "not-found", confirmed: true }, T0);
    expect(confirmed.changed && confirmed.record.submit.notFoundEpoch).toBeUndefined();
    expect(confirmed.changed && confirmed.record.submit.notFoundAtMs).toBeUndefined();
  });
});
