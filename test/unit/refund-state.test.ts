import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GatePayAnswer, RefundRecord } from "../../src/domain/refund-record.js";
import { overRefundEvent } from "../../src/domain/over-refund.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import {
  applyRefundEvent,
  createRefundRecord,
  FINAL_STATES,
  isFinalState,
  isTerminalState,
  REFUND_STATES,
  TERMINAL_STATES,
  type RefundEvent,
  type RefundState,
} from "../../src/domain/refund-state.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function answer(status: string, source: GatePayAnswer["source"] = "details"): GatePayAnswer {
  return { source, at: new Date(T0).toISOString(), status, gateRefundId: "g-1" };
}

/** A record in `state`, as if it had got there; `extra` overrides fields. */
function recordIn(state: RefundState, extra: Partial<RefundRecord> = {}): RefundRecord {
  const at = new Date(T0 - 60_000).toISOString();
  return {
    refundRequestId: "r-1",
    kind: "order",
    request: {
      kind: "order",
      refundRequestId: "r-1",
      prepayId: "1991810932510167040",
      refundAmount: "10",
    },
    state,
    attempts: 0,
    history: [{ state: "queued", at, event: "created" }],
    createdAt: at,
    updatedAt: at,
    submit: { mayExist: false, generation: 0 },
    version: 1,
    ...extra,
  };
}

type EventType = RefundEvent["type"];

/** One representative event of each type. */
const EVENTS: { [K in EventType]: Extract<RefundEvent, { type: K }> } = {
  "submit-started": {
    type: "submit-started",
    attempt: 2,
    leaseOwner: "w-1",
    leaseUntilMs: T0 + 30_000,
  },
  "submit-deferred": {
    type: "submit-deferred",
    mayExist: true,
    error: { code: "TIMEOUT", message: "no answer in 10000 ms" },
  },
  "not-found": { type: "not-found", confirmed: true },
  accepted: {
    type: "accepted",
    answer: answer("PROCESSING", "create"),
    deadlineAtMs: T0 + 3_600_000,
  },
  "in-progress": { type: "in-progress", answer: answer("PROCESSING") },
  succeeded: { type: "succeeded", answer: answer("SUCCESS") },
  failed: { type: "failed", answer: answer("FAIL"), error: { code: "REFUND_FAIL", message: "x" } },
  rejected: { type: "rejected", error: { code: "400608", message: "exceeds order" } },
  "over-refund": { type: "over-refund", error: { code: "OVER_REFUND", message: "exceeds order" } },
  dead: { type: "dead", error: { code: "300000", message: "system error, attempts exhausted" } },
  "answer-mismatch": {
    type: "answer-mismatch",
    error: { code: "ANSWER_MISMATCH", message: "another request's answer" },
  },
  stuck: { type: "stuck", error: { code: "POLL_DEADLINE", message: "no final status" } },
  replayed: { type: "replayed", deadlineAtMs: T0 + 7_200_000 },
  redriven: { type: "redriven" },
};
const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

/**
 * The whole transition table, written out independently of the implementation: the state
 * each event leads to from each state, or `null` when the event is refused.
 */
const TABLE: Record<RefundState, Record<EventType, RefundState | null>> = {
  queued: {
    "submit-started": "submitting",
    "submit-deferred": "queued",
    "not-found": "queued",
    accepted: "accepted",
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: "rejected",
    "over-refund": "rejected",
    dead: "dead",
    "answer-mismatch": "dead",
    stuck: null,
    replayed: null,
    redriven: "queued",
  },
  submitting: {
    "submit-started": "submitting",
    "submit-deferred": "submitting",
    "not-found": "submitting",
    accepted: "accepted",
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: "rejected",
    "over-refund": null,
    dead: "dead",
    "answer-mismatch": "dead",
    stuck: null,
    replayed: null,
    redriven: "submitting",
  },
  accepted: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    accepted: null,
    "in-progress": "processing",
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": "dead",
    stuck: "stuck",
    replayed: null,
    redriven: "accepted",
  },
  processing: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    accepted: null,
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": "dead",
    stuck: "stuck",
    replayed: null,
    redriven: "processing",
  },
  // Terminal states stay: a contradicting GatePay report only notes `attention`
  // (domain/attention.ts; test/unit/attention.test.ts), with the state unchanged.
  succeeded: { ...allRefused(), failed: "succeeded" },
  failed: { ...allRefused(), accepted: "failed", "in-progress": "failed", succeeded: "failed" },
  rejected: {
    ...allRefused(),
    accepted: "rejected",
    "in-progress": "rejected",
    succeeded: "rejected",
  },
  dead: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    accepted: "accepted",
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": null,
    stuck: null,
    replayed: "queued",
    redriven: null,
  },
  stuck: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    accepted: null,
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": "dead",
    stuck: null,
    replayed: "accepted",
    redriven: null,
  },
};

function allRefused(): Record<EventType, null> {
  return Object.fromEntries(EVENT_TYPES.map((t) => [t, null])) as Record<EventType, null>;
}

/** Progress order of the design: a GatePay report never moves a refund down it. */
const PROGRESS: Record<RefundState, number> = {
  queued: 0,
  dead: 0,
  submitting: 1,
  accepted: 2,
  stuck: 2,
  processing: 3,
  succeeded: 4,
  failed: 4,
  rejected: 4,
};
const GATEPAY_REPORTS = new Set<EventType>(["accepted", "in-progress", "succeeded", "failed"]);

/** Freezes deeply, so any mutation of the input by the pure function throws. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

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

describe("replay", () => {
  it("dead → queued with generation + 1", () => {
    const r = applyRefundEvent(
      recordIn("dead", { submit: { mayExist: false, generation: 3 } }),
      { type: "replayed" },
      T0,
    );
    expect(r.changed).toBe(true);
    expect(r.record.state).toBe("queued");
    expect(r.record.submit.generation).toBe(4);
    expect(r.record.history.at(-1)).toEqual({
      state: "queued",
      at: new Date(T0).toISOString(),
      event: "replayed",
    });
  });

  it("stuck → accepted with generation + 1 and the new deadline; acceptance time kept", () => {
    const r = applyRefundEvent(
      recordIn("stuck", {
        submit: { mayExist: true, generation: 0 },
        poll: { acceptedAtMs: T0 - 3_600_000, deadlineAtMs: T0 - 1 },
      }),
      { type: "replayed", deadlineAtMs: T0 + 600_000 },
      T0,
    );
    expect(r.record.state).toBe("accepted");
    expect(r.record.submit.generation).toBe(1);
    expect(r.record.poll).toEqual({ acceptedAtMs: T0 - 3_600_000, deadlineAtMs: T0 + 600_000 });
  });

  it("stuck → accepted without a new deadline keeps the old one", () => {
    const poll = { acceptedAtMs: T0 - 3_600_000, deadlineAtMs: T0 - 1 };
    const r = applyRefundEvent(recordIn("stuck", { poll }), { type: "replayed" }, T0);
    expect(r.record.poll).toEqual(poll);
  });

  it("a stuck refund without poll bookkeeping still gets the new deadline on replay", () => {
    const record = { ...recordIn("stuck"), poll: undefined } as unknown as ReturnType<
      typeof recordIn
    >;
    delete (record as { poll?: unknown }).poll;
    const r = applyRefundEvent(record, { type: "replayed", deadlineAtMs: T0 + 600_000 }, T0 + 5);
    expect(r.record.state).toBe("accepted");
    expect(r.record.poll).toEqual({ acceptedAtMs: T0 + 5, deadlineAtMs: T0 + 600_000 });
  });
});

describe("redriven", () => {
  it.each(["queued", "submitting", "accepted", "processing"] as const)(
    "%s stays %s with generation + 1 and a history entry",
    (state) => {
      const record = recordIn(state, { submit: { mayExist: true, generation: 2 } });
      const r = applyRefundEvent(record, EVENTS.redriven, T0);
      expect(r.changed).toBe(true);
      expect(r.record.state).toBe(state);
      expect(r.record.submit).toEqual({ mayExist: true, generation: 3 });
      expect(r.record.version).toBe(2);
      expect(r.record.history.at(-1)).toEqual({
        state,
        at: new Date(T0).toISOString(),
        event: "redriven",
      });
    },
  );
});

describe("creation", () => {
  const request = parseRefundRequest({
    refundRequestId: "r-1",
    prepayId: "1991810932510167040",
    refundAmount: "50",
  });

  it("a new record is queued, version 1, nothing sent, one `created` entry", () => {
    const at = new Date(T0).toISOString();
    expect(createRefundRecord(request, T0)).toStrictEqual({
      refundRequestId: "r-1",
      kind: "order",
      request,
      state: "queued",
      attempts: 0,
      history: [{ state: "queued", at, event: "created" }],
      createdAt: at,
      updatedAt: at,
      submit: { mayExist: false, generation: 0 },
      version: 1,
    });
    expect(createRefundRecord(request, T0, "b-1").batchId).toBe("b-1");
  });

  it("the over-refund guard's refusal makes the new record rejected / OVER_REFUND", () => {
    const queued = deepFreeze(createRefundRecord(request, T0));
    const event = overRefundEvent(request, { orderAmount: "100", reserved: "60" });
    expect(event).toEqual({
      type: "over-refund",
      error: {
        code: "OVER_REFUND",
        message:
          "refund of 50 exceeds what is left of order 1991810932510167040: " +
          "order amount 100, already refunded or in flight 60, left 40",
      },
    });
    const result = applyRefundEvent(queued, event, T0);
    expect(result.changed).toBe(true);
    const at = new Date(T0).toISOString();
    expect(result.record).toStrictEqual({
      ...queued,
      state: "rejected",
      lastError: { ...event.error, at },
      history: [
        { state: "queued", at, event: "created" },
        { state: "rejected", at, event: "over-refund", note: "OVER_REFUND" },
      ],
      version: 2,
    });
  });

  it("nothing is left when the reservations already exceed the order amount", () => {
    const event = overRefundEvent(request, { orderAmount: "10", reserved: "12.5" });
    expect(event.error.message).toMatch(
      /order amount 10, already refunded or in flight 12.5, left 0$/,
    );
  });

  it("only a record nobody has written yet can be refused for over-refund", () => {
    const written = recordIn("queued", { version: 3 });
    const result = applyRefundEvent(written, EVENTS["over-refund"], T0);
    expect(result).toMatchObject({ changed: false, reason: "not a new refund (queued)" });
  });
});

describe("properties", () => {
  const errorArb = fc.record({
    code: fc.string({ maxLength: 8 }),
    message: fc.string({ maxLength: 20 }),
  });
  const answerArb = fc
    .record({
      source: fc.constantFrom("create", "details", "query-v1", "webhook"),
      status: fc.constantFrom("PROCESSING", "SUCCESS", "FAIL", "REFUND_SUCCESS", "WHATEVER"),
    })
    .map(({ source, status }): GatePayAnswer => ({
      source,
      status,
      at: new Date(T0).toISOString(),
    }));
  const timeArb = fc.integer({ min: T0, max: T0 + 10 * 86_400_000 });

  const eventArb: fc.Arbitrary<RefundEvent> = fc.oneof(
    fc.record({
      type: fc.constant("submit-started" as const),
      attempt: fc.integer({ min: 1, max: 20 }),
      leaseOwner: fc.string({ minLength: 1, maxLength: 8 }),
      leaseUntilMs: timeArb,
    }),
    fc.record({
      type: fc.constant("submit-deferred" as const),
      mayExist: fc.boolean(),
      error: errorArb,
    }),
    fc.constant({ type: "not-found" as const, confirmed: true }),
    fc.record({ type: fc.constant("accepted" as const), answer: answerArb, deadlineAtMs: timeArb }),
    fc.record({ type: fc.constant("in-progress" as const), answer: answerArb }),
    fc.record({ type: fc.constant("succeeded" as const), answer: answerArb }),
    fc.record({ type: fc.constant("failed" as const), answer: answerArb }),
    fc.record({ type: fc.constant("failed" as const), answer: answerArb, error: errorArb }),
    fc.record({ type: fc.constant("rejected" as const), error: errorArb }),
    fc.record({ type: fc.constant("over-refund" as const), error: errorArb }),
    fc.record({ type: fc.constant("dead" as const), error: errorArb }),
    fc.record({ type: fc.constant("stuck" as const), error: errorArb }),
    fc.constant({ type: "replayed" as const }),
    fc.record({ type: fc.constant("replayed" as const), deadlineAtMs: timeArb }),
    fc.constant({ type: "redriven" as const }),
  );

  const startArb = fc
    .tuple(fc.constantFrom(...REFUND_STATES), fc.boolean(), fc.boolean())
    .map(([state, mayExist, withPoll]) =>
      recordIn(state, {
        submit: { mayExist, generation: 0 },
        ...(withPoll ? { poll: { acceptedAtMs: T0 - 1000, deadlineAtMs: T0 + 1000 } } : {}),
      }),
    );

  it("terminal states never change; GatePay reports never lower progress; version and history count applied events", () => {
    fc.assert(
      fc.property(
        startArb,
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 60_000 })), { maxLength: 30 }),
        (start, steps) => {
          let record = deepFreeze(start);
          let nowMs = T0;
          let applied = 0;
          for (const [event, dtMs] of steps) {
            nowMs += dtMs;
            const before = record;
            const result = applyRefundEvent(before, event, nowMs);
            if (isTerminalState(before.state)) {
              // Only a contradiction is noted (attention), and the state stays.
              expect(result.record.state).toBe(before.state);
              if (result.changed) expect(result.attention).toBeDefined();
            }
            if (!result.changed) {
              expect(result.record).toBe(before);
              continue;
            }
            applied++;
            const after = result.record;
            if (GATEPAY_REPORTS.has(event.type)) {
              expect(PROGRESS[after.state]).toBeGreaterThanOrEqual(PROGRESS[before.state]);
            }
            expect(after.version).toBe(before.version + 1);
            expect(after.history).toHaveLength(before.history.length + 1);
            expect(after.history.slice(0, -1)).toEqual(before.history);
            const last = after.history.at(-1)!;
            expect(last.state).toBe(after.state);
            expect(last.event).toBe(result.attention ? "attention" : event.type);
            expect(last.at).toBe(new Date(nowMs).toISOString());
            expect(after.updatedAt).toBe(last.at);
            expect(after.submit.generation).toBe(
              before.submit.generation +
                (event.type === "replayed" || event.type === "redriven" ? 1 : 0),
            );
            // A lease exists only while a submit attempt is under way.
            if (after.submit.leaseOwner !== undefined) expect(after.state).toBe("submitting");
            record = deepFreeze(after);
          }
          expect(record.version).toBe(start.version + applied);
          expect(record.history).toHaveLength(start.history.length + applied);
          if (isTerminalState(start.state)) expect(record.state).toBe(start.state);
        },
      ),
      { numRuns: 500 },
    );
  });
});
