/**
 * The two not-founds rule: `decideNotFound`, and unknown outcome → two not-founds →
 * re-send, through the state machine (split from submit-decision.test.ts).
 */
import { describe, expect, it } from "vitest";
import { decideNotFound } from "../../src/domain/not-found-decision.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { applyRefundEvent } from "../../src/domain/refund-state.js";
import { decideSubmit, submitLeaseUntilMs } from "../../src/domain/submit-decision.js";
import { T0, ME, OTHER, SETTINGS, LOOK_AT, recordIn } from "../helpers/submit-decision-fixtures.js";

describe("decideNotFound", () => {
  const GRACE = SETTINGS.unknownOutcomeGraceMs;
  it.each([
    {
      name: "first not-found: note it, ask again a grace period later",
      first: undefined,
      now: T0,
      expected: { action: "note-first", lookAgainAtMs: T0 + GRACE },
    },
    {
      name: "second not-found within the grace period: not yet proof",
      first: T0,
      now: T0 + GRACE - 1,
      expected: { action: "wait", lookAgainAtMs: T0 + GRACE },
    },
    {
      name: "second not-found at the same instant: not yet proof",
      first: T0,
      now: T0,
      expected: { action: "wait", lookAgainAtMs: T0 + GRACE },
    },
    {
      name: "second not-found a grace period later: confirmed, re-send",
      first: T0,
      now: T0 + GRACE,
      expected: { action: "confirm" },
    },
    {
      name: "second not-found long after: confirmed",
      first: T0,
      now: T0 + 10 * GRACE,
      expected: { action: "confirm" },
    },
    {
      name: "replay of a refund only ever refused (noted at 0): one not-found is enough",
      first: 0,
      now: T0,
      expected: { action: "confirm" },
    },
  ])("$name", ({ first, now, expected }) => {
    expect(decideNotFound(first, now, GRACE)).toEqual(expected);
  });

  it("with no grace, the first not-found asks again at once", () => {
    expect(decideNotFound(undefined, T0, 0)).toEqual({ action: "note-first", lookAgainAtMs: T0 });
  });
});

describe("unknown outcome → two not-founds → re-send, through the state machine", () => {
  it("never sends before a second not-found a grace period after the first", () => {
    const GRACE = SETTINGS.unknownOutcomeGraceMs;
    const step = (r: RefundRecord, event: Parameters<typeof applyRefundEvent>[1], at: number) => {
      const t = applyRefundEvent(r, event, at);
      expect(t.changed).toBe(true);
      return t.record;
    };
    let r = recordIn("queued");
    expect(decideSubmit(r, T0, ME, SETTINGS)).toEqual({ action: "send" });

    r = step(
      r,
      {
        type: "submit-started",
        attempt: 1,
        leaseOwner: ME,
        leaseUntilMs: submitLeaseUntilMs(T0, SETTINGS),
        sentAtMs: T0,
      },
      T0,
    );
    // Another run sees the live lease and waits.
    expect(decideSubmit(r, T0 + 1_000, OTHER, SETTINGS)).toEqual({
      action: "wait-until",
      atMs: T0 + 15_000,
      reason: "lease",
    });

    // The POST timed out: unknown outcome.
    r = step(
      r,
      {
        type: "submit-deferred",
        mayExist: true,
        error: { code: "UNKNOWN-OUTCOME", message: "timed out" },
      },
      T0 + 10_000,
    );
    expect(decideSubmit(r, T0 + 11_000, OTHER, SETTINGS)).toEqual({
      action: "wait-until",
      atMs: LOOK_AT,
      reason: "look-up-time",
    });
    expect(decideSubmit(r, LOOK_AT, OTHER, SETTINGS)).toEqual({ action: "look-up" });

    // First not-found: noted, not believed.
    const first = decideNotFound(r.submit.notFoundAtMs, LOOK_AT, GRACE);
    expect(first).toEqual({ action: "note-first", lookAgainAtMs: LOOK_AT + GRACE });
    r = step(r, { type: "not-found", confirmed: false, atMs: LOOK_AT }, LOOK_AT);
    expect(decideSubmit(r, LOOK_AT + GRACE, OTHER, SETTINGS)).toEqual({ action: "look-up" });
    expect(decideNotFound(r.submit.notFoundAtMs, LOOK_AT + GRACE - 1, GRACE).action).toBe("wait");

    // Second not-found a grace period later: confirmed, and only now is a send decided.
    expect(decideNotFound(r.submit.notFoundAtMs, LOOK_AT + GRACE, GRACE)).toEqual({
      action: "confirm",
    });
    r = step(r, { type: "not-found", confirmed: true }, LOOK_AT + GRACE);
    expect(decideSubmit(r, LOOK_AT + GRACE, OTHER, SETTINGS)).toEqual({ action: "send" });

    // A new send clears the noted not-found: the next unknown outcome needs two again.
    r = step(
      r,
      {
        type: "submit-started",
        attempt: 2,
        leaseOwner: OTHER,
        leaseUntilMs: LOOK_AT + GRACE + 15_000,
        sentAtMs: LOOK_AT + GRACE,
      },
      LOOK_AT + GRACE,
    );
    expect(r.submit.notFoundAtMs).toBeUndefined();
    expect(decideNotFound(r.submit.notFoundAtMs, LOOK_AT + 2 * GRACE, GRACE).action).toBe(
      "note-first",
    );
  });
});
