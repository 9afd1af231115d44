/** The refund state machine: state sets, the transition table, and what an applied transition writes. */
import { describe, expect, it } from "vitest";
import {
  applyRefundEvent,
  FINAL_STATES,
  isFinalState,
  isTerminalState,
  REFUND_STATES,
  TERMINAL_STATES,
} from "../../src/domain/refund-state.js";
import {
  T0,
  ISO,
  answer,
  recordIn,
  EVENTS,
  EVENT_TYPES,
  TABLE,
  deepFreeze,
} from "../helpers/refund-state-fixtures.js";

describe("state sets", () => {
  it("lists nine states; terminal ⊂ final", () => {
    expect([...REFUND_STATES].sort()).toEqual([
      "accepted",
      "dead",
      "failed",
      "processing",
      "queued",
      "rejected",
      "stuck",
      "submitting",
      "succeeded",
    ]);
    expect([...TERMINAL_STATES].sort()).toEqual(["failed", "rejected", "succeeded"]);
    expect([...FINAL_STATES].sort()).toEqual(["dead", "failed", "rejected", "stuck", "succeeded"]);
    for (const s of REFUND_STATES) {
      expect(isTerminalState(s)).toBe(TERMINAL_STATES.has(s));
      expect(isFinalState(s)).toBe(FINAL_STATES.has(s));
      if (isTerminalState(s)) expect(isFinalState(s)).toBe(true);
    }
  });
});

describe("transition table", () => {
  const cases = REFUND_STATES.flatMap((from) =>
    EVENT_TYPES.map((type) => [from, type, TABLE[from][type]] as const),
  );

  it.each(cases)("%s + %s → %s", (from, type, to) => {
    const record = deepFreeze(
      recordIn(from, { poll: { acceptedAtMs: T0 - 1000, deadlineAtMs: T0 + 1000 } }),
    );
    const result = applyRefundEvent(record, EVENTS[type], T0);
    if (to === null) {
      expect(result.changed).toBe(false);
      expect(result.record).toBe(record);
      if (!result.changed) expect(result.reason).toMatch(/\S/);
    } else {
      expect(result.changed).toBe(true);
      expect(result.record.state).toBe(to);
      expect(result.record.version).toBe(record.version + 1);
      expect(result.record.history).toHaveLength(record.history.length + 1);
      const event = isTerminalState(from) ? "attention" : type;
      expect(result.record.history.at(-1)).toMatchObject({ state: to, event });
    }
  });

  it("names why a terminal record refuses an event", () => {
    const result = applyRefundEvent(recordIn("succeeded"), EVENTS.rejected, T0);
    expect(result).toMatchObject({ changed: false, reason: "terminal state succeeded" });
  });
});

describe("applied transitions", () => {
  it("append one history entry with the ISO time and a note, and set updatedAt", () => {
    const r = applyRefundEvent(recordIn("queued"), EVENTS["submit-started"], T0);
    expect(r.changed).toBe(true);
    const last = r.record.history.at(-1)!;
    expect(last).toEqual({
      state: "submitting",
      at: new Date(T0).toISOString(),
      event: "submit-started",
      note: "attempt 2",
    });
    expect(last.at).toMatch(ISO);
    expect(r.record.updatedAt).toBe(last.at);
    expect(r.record.createdAt).toBe(recordIn("queued").createdAt);
  });

  it.each([
    ["submit-deferred", "submitting", "TIMEOUT"],
    ["rejected", "submitting", "400608"],
    ["dead", "submitting", "300000"],
    ["stuck", "processing", "POLL_DEADLINE"],
    ["in-progress", "accepted", "PROCESSING"],
    ["succeeded", "processing", "SUCCESS"],
    ["failed", "processing", "REFUND_FAIL"],
  ] as const)("%s notes %s", (type, from, note) => {
    const r = applyRefundEvent(recordIn(from), EVENTS[type], T0);
    expect(r.record.history.at(-1)?.note).toBe(note);
  });

  it("failed without an error notes GatePay's status and keeps the previous lastError", () => {
    const previous = { code: "TIMEOUT", message: "m", at: new Date(T0 - 5000).toISOString() };
    const r = applyRefundEvent(
      recordIn("processing", { lastError: previous }),
      { type: "failed", answer: answer("REFUND_FAIL") },
      T0,
    );
    expect(r.record.history.at(-1)?.note).toBe("REFUND_FAIL");
    expect(r.record.lastError).toEqual(previous);
    expect(r.record.gatepay?.status).toBe("REFUND_FAIL");
  });

  it("error events set lastError stamped with the transition time", () => {
    for (const [type, from] of [
      ["submit-deferred", "submitting"],
      ["rejected", "queued"],
      ["dead", "submitting"],
      ["stuck", "accepted"],
      ["failed", "processing"],
    ] as const) {
      const event = EVENTS[type];
      const r = applyRefundEvent(recordIn(from), event, T0);
      expect(r.record.lastError, type).toEqual({ ...event.error, at: new Date(T0).toISOString() });
    }
  });

  it("GatePay reports store the answer", () => {
    for (const [type, from] of [
      ["accepted", "submitting"],
      ["in-progress", "accepted"],
      ["succeeded", "processing"],
      ["failed", "processing"],
    ] as const) {
      const r = applyRefundEvent(recordIn(from), EVENTS[type], T0);
      expect(r.record.gatepay, type).toEqual(EVENTS[type].answer);
    }
  });

  it("accepted starts the poll clock with the event's deadline", () => {
    const r = applyRefundEvent(recordIn("submitting"), EVENTS.accepted, T0);
    expect(r.record.poll).toEqual({ acceptedAtMs: T0, deadlineAtMs: T0 + 3_600_000 });
  });

  it("submit-started records the attempt number and when it was sent", () => {
    const r = applyRefundEvent(recordIn("queued", { attempts: 1 }), EVENTS["submit-started"], T0);
    expect(r.record.attempts).toBe(2);
    expect(r.record.submit.lastSentAtMs).toBe(T0);
  });

  it("never mutates its input (the input is deep-frozen)", () => {
    for (const from of REFUND_STATES) {
      for (const type of EVENT_TYPES) {
        const record = deepFreeze(
          recordIn(from, {
            submit: { mayExist: true, generation: 1, leaseOwner: "w", leaseUntilMs: T0 },
            poll: { acceptedAtMs: T0 - 10, deadlineAtMs: T0 + 10 },
          }),
        );
        const before = structuredClone(record);
        expect(() => applyRefundEvent(record, EVENTS[type], T0)).not.toThrow();
        expect(record).toEqual(before);
      }
    }
  });
});
