/** The refund state machine: the submit lease and the "may exist" flag. */
import { describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import {
  applyRefundEvent,
  type RefundEvent,
  type RefundState,
} from "../../src/domain/refund-state.js";
import { T0, recordIn, EVENTS } from "../helpers/refund-state-fixtures.js";

describe("lease", () => {
  const leased = (state: RefundState): RefundRecord =>
    recordIn(state, {
      submit: { mayExist: true, generation: 0, leaseOwner: "w-0", leaseUntilMs: T0 - 1 },
    });

  it("submit-started takes the lease (also over an expired one)", () => {
    const r = applyRefundEvent(leased("submitting"), EVENTS["submit-started"], T0);
    expect(r.record.submit).toMatchObject({ leaseOwner: "w-1", leaseUntilMs: T0 + 30_000 });
  });

  it.each([
    ["submit-deferred", "submitting"],
    ["accepted", "submitting"],
    ["in-progress", "accepted"],
    ["succeeded", "submitting"],
    ["failed", "submitting"],
    ["rejected", "submitting"],
    ["dead", "submitting"],
    ["stuck", "processing"],
  ] as const)("%s (from %s) releases it", (type, from) => {
    const r = applyRefundEvent(leased(from), EVENTS[type], T0);
    expect(r.changed).toBe(true);
    expect(r.record.submit).not.toHaveProperty("leaseOwner");
    expect(r.record.submit).not.toHaveProperty("leaseUntilMs");
  });

  it("not-found keeps it: the lookup is part of the holder's own attempt", () => {
    const r = applyRefundEvent(leased("submitting"), EVENTS["not-found"], T0);
    expect(r.record.submit).toMatchObject({ leaseOwner: "w-0", leaseUntilMs: T0 - 1 });
  });
});

describe("mayExist", () => {
  const withMayExist = (state: RefundState, mayExist: boolean): RefundRecord =>
    recordIn(state, { submit: { mayExist, generation: 0 } });

  it("submit-started sets it: the POST may leave from now on", () => {
    const r = applyRefundEvent(withMayExist("queued", false), EVENTS["submit-started"], T0);
    expect(r.record.submit.mayExist).toBe(true);
  });

  it("not-found clears it: GatePay does not know the refund, a re-send is safe", () => {
    const r = applyRefundEvent(withMayExist("submitting", true), EVENTS["not-found"], T0);
    expect(r.record.submit.mayExist).toBe(false);
  });

  it.each([
    [false, false, false],
    [false, true, true],
    [true, false, false],
    [true, true, true],
  ])(
    "submit-deferred takes what the latest send says: was %s, event says %s → %s",
    (was, says, expected) => {
      const record = withMayExist("submitting", was);
      const r = applyRefundEvent(
        record,
        {
          type: "submit-deferred",
          mayExist: says,
          error: { code: "E", message: "m" },
          sentAttempt: record.attempts,
        },
        T0,
      );
      expect(r.record.submit.mayExist).toBe(expected);
    },
  );

  it("a deferral never lowers it for a send that is not the latest (or unstamped)", () => {
    // Run A sent attempt 2 and stalled; run B sent attempt 3 with an unknown outcome.
    const record = recordIn("submitting", {
      attempts: 3,
      submit: { mayExist: true, generation: 0, hadUnknownOutcome: true },
    });
    const refused = {
      type: "submit-deferred",
      mayExist: false,
      error: { code: "E", message: "m" },
    };
    for (const sentAttempt of [2, undefined]) {
      const r = applyRefundEvent(record, { ...refused, sentAttempt } as RefundEvent, T0);
      expect(r.changed && r.record.submit.mayExist, `sentAttempt ${sentAttempt}`).toBe(true);
    }
    const latest = applyRefundEvent(record, { ...refused, sentAttempt: 3 } as RefundEvent, T0);
    expect(latest.record.submit.mayExist).toBe(false);
  });

  it("submit-deferred keeps when an answer arrived; a lookup's deferral keeps the last one; the next send clears it", () => {
    const error = { code: "300000", message: "m" };
    const answered = applyRefundEvent(
      withMayExist("submitting", true),
      { type: "submit-deferred", mayExist: true, error, answeredAtMs: T0 + 5 },
      T0 + 10,
    ).record;
    expect(answered.submit.answeredAtMs).toBe(T0 + 5);
    const lookupFailed = applyRefundEvent(
      recordIn("submitting", { submit: answered.submit }),
      { type: "submit-deferred", mayExist: true, error },
      T0 + 20,
    ).record;
    expect(lookupFailed.submit.answeredAtMs).toBe(T0 + 5);
    const resent = applyRefundEvent(
      recordIn("queued", { submit: answered.submit }),
      EVENTS["submit-started"],
      T0 + 30,
    ).record;
    expect(resent.submit.answeredAtMs).toBeUndefined();
  });

  it("rejected clears it: no refund exists", () => {
    const r = applyRefundEvent(withMayExist("submitting", true), EVENTS.rejected, T0);
    expect(r.record.submit.mayExist).toBe(false);
  });

  it("dead keeps it; a replay of a refund ever sent looks GatePay up before any re-send", () => {
    const dead = applyRefundEvent(
      recordIn("submitting", { attempts: 3, submit: { mayExist: true, generation: 0 } }),
      EVENTS.dead,
      T0,
    ).record;
    expect(dead.submit.mayExist).toBe(true);
    const replayed = applyRefundEvent(dead, EVENTS.replayed, T0 + 1).record;
    expect(replayed.state).toBe("queued");
    expect(replayed.submit.mayExist).toBe(true);
  });

  it("a replay re-derives it from attempts: never sent → nothing to look up", () => {
    const neverSent = recordIn("dead", { attempts: 0, submit: { mayExist: true, generation: 0 } });
    expect(applyRefundEvent(neverSent, EVENTS.replayed, T0).record.submit.mayExist).toBe(false);
    const sent = recordIn("dead", { attempts: 1, submit: { mayExist: false, generation: 0 } });
    const replayed = applyRefundEvent(sent, EVENTS.replayed, T0).record.submit;
    expect(replayed.mayExist).toBe(true);
    // Every earlier attempt was refused outright: one "not found" will do.
    expect(replayed.notFoundAtMs).toBe(0);
    const unknown = recordIn("dead", {
      attempts: 2,
      submit: { mayExist: false, hadUnknownOutcome: true, notFoundAtMs: 5, generation: 0 },
    });
    const careful = applyRefundEvent(unknown, EVENTS.replayed, T0).record.submit;
    expect(careful.mayExist).toBe(true);
    expect(careful.notFoundAtMs).toBeUndefined();
  });
});
