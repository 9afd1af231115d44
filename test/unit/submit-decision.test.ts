import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RefundRecord, SubmitState } from "../../src/domain/refund-record.js";
import {
  checkLeaseFence,
  decideSubmit,
  otherLiveLeaseUntil,
  submitClock,
  submitLeaseUntilMs,
  type SubmitDecision,
} from "../../src/domain/submit-decision.js";
import {
  T0,
  ME,
  OTHER,
  SETTINGS,
  LOOK_AT,
  recordIn,
  POLL,
} from "../helpers/submit-decision-fixtures.js";

interface Row {
  name: string;
  record: RefundRecord | null;
  now: number;
  expected: SubmitDecision;
}

const ROWS: Row[] = [
  // Skip: the record, not the job, decides.
  { name: "no record", record: null, now: T0, expected: { action: "skip", reason: "missing" } },
  ...(["processing", "succeeded", "failed", "rejected", "dead", "stuck"] as const).map((state) => ({
    name: `${state}: past submitting`,
    record: recordIn(state, { mayExist: true, leaseOwner: OTHER, leaseUntilMs: T0 + 1 }),
    now: T0,
    expected: { action: "skip", reason: "not-submitting" } as const,
  })),
  {
    name: "accepted without poll bookkeeping",
    record: recordIn("accepted"),
    now: T0,
    expected: { action: "skip", reason: "not-submitting" },
  },
  // Accepted: make sure poll 1 exists, aimed at acceptance + first delay.
  {
    name: "accepted, poll 1 not yet due",
    record: recordIn("accepted", {}, POLL),
    now: T0 + 4_000,
    expected: { action: "ensure-poll-scheduled", delayMs: 6_000 },
  },
  {
    name: "accepted, poll 1 overdue: at once",
    record: recordIn("accepted", {}, POLL),
    now: T0 + 60_000,
    expected: { action: "ensure-poll-scheduled", delayMs: 0 },
  },
  // Send.
  {
    name: "queued, nothing sent",
    record: recordIn("queued"),
    now: T0,
    expected: { action: "send" },
  },
  {
    name: "submitting, refused before (nothing can exist)",
    record: recordIn("submitting", { mayExist: false, lastSentAtMs: T0 }),
    now: T0 + 1,
    expected: { action: "send" },
  },
  // The lease.
  {
    name: "another run's live lease: wait for its end",
    record: recordIn("submitting", {
      mayExist: true,
      lastSentAtMs: T0,
      leaseOwner: OTHER,
      leaseUntilMs: T0 + 15_000,
    }),
    now: T0 + 1_000,
    expected: { action: "wait-until", atMs: T0 + 15_000, reason: "lease" },
  },
  {
    name: "another run's live lease, nothing may exist: still wait (never send beside it)",
    record: recordIn("submitting", {
      mayExist: false,
      leaseOwner: OTHER,
      leaseUntilMs: T0 + 15_000,
    }),
    now: T0 + 14_999,
    expected: { action: "wait-until", atMs: T0 + 15_000, reason: "lease" },
  },
  {
    name: "another run's lease ends exactly now: expired",
    record: recordIn("submitting", {
      mayExist: false,
      leaseOwner: OTHER,
      leaseUntilMs: T0 + 15_000,
    }),
    now: T0 + 15_000,
    expected: { action: "send" },
  },
  {
    name: "this run's own live lease does not block it",
    record: recordIn("submitting", { mayExist: false, leaseOwner: ME, leaseUntilMs: T0 + 15_000 }),
    now: T0 + 1_000,
    expected: { action: "send" },
  },
  {
    name: "a lease without an end is not live",
    record: recordIn("submitting", { mayExist: false, leaseOwner: OTHER }),
    now: T0,
    expected: { action: "send" },
  },
  {
    name: "the lease is checked before the look-up time",
    record: recordIn("submitting", {
      mayExist: true,
      lastSentAtMs: T0 - 3_600_000,
      leaseOwner: OTHER,
      leaseUntilMs: T0 + 5,
    }),
    now: T0,
    expected: { action: "wait-until", atMs: T0 + 5, reason: "lease" },
  },
  // Unknown outcome: look up first, not before timeout + grace after the send.
  {
    name: "may exist, before timeout + grace: wait for the look-up time",
    record: recordIn("submitting", { mayExist: true, lastSentAtMs: T0 }),
    now: T0 + 12_000,
    expected: { action: "wait-until", atMs: LOOK_AT, reason: "look-up-time" },
  },
  {
    name: "may exist, expired lease of another run: wait for the look-up time",
    record: recordIn("submitting", {
      mayExist: true,
      lastSentAtMs: T0,
      leaseOwner: OTHER,
      leaseUntilMs: T0 + 15_000,
    }),
    now: T0 + 20_000,
    expected: { action: "wait-until", atMs: LOOK_AT, reason: "look-up-time" },
  },
  {
    name: "may exist, at the look-up time: look up",
    record: recordIn("submitting", { mayExist: true, lastSentAtMs: T0 }),
    now: LOOK_AT,
    expected: { action: "look-up" },
  },
  {
    name: "may exist, queued (a replay of a dead refund): look up",
    record: recordIn("queued", { mayExist: true, lastSentAtMs: T0 }),
    now: LOOK_AT + 1,
    expected: { action: "look-up" },
  },
  // An answered failure (HTTP 5xx with GatePay's 300000): the grace counts from the answer.
  {
    name: "answered at T0+200: wait for the grace after the answer, not after the timeout",
    record: recordIn("submitting", { mayExist: true, lastSentAtMs: T0, answeredAtMs: T0 + 200 }),
    now: T0 + 1_000,
    expected: {
      action: "wait-until",
      atMs: T0 + 200 + SETTINGS.unknownOutcomeGraceMs,
      reason: "look-up-time",
    },
  },
  {
    name: "answered: at the grace after the answer, look up (before timeout + grace)",
    record: recordIn("submitting", { mayExist: true, lastSentAtMs: T0, answeredAtMs: T0 + 200 }),
    now: T0 + 200 + SETTINGS.unknownOutcomeGraceMs,
    expected: { action: "look-up" },
  },
  {
    name: "an answer time past send + timeout is bounded by it",
    record: recordIn("submitting", { mayExist: true, lastSentAtMs: T0, answeredAtMs: T0 + 99_000 }),
    now: T0 + 12_000,
    expected: { action: "wait-until", atMs: LOOK_AT, reason: "look-up-time" },
  },
  {
    name: "may exist with no send time (replayed): look up at once",
    record: recordIn("queued", { mayExist: true }),
    now: T0,
    expected: { action: "look-up" },
  },
];

describe("decideSubmit", () => {
  it.each(ROWS)("$name", ({ record, now, expected }) => {
    expect(decideSubmit(record, now, ME, SETTINGS)).toEqual(expected);
  });

  it("does not change the record", () => {
    const record = recordIn("submitting", { mayExist: true, lastSentAtMs: T0 });
    const before = structuredClone(record);
    decideSubmit(record, LOOK_AT, ME, SETTINGS);
    expect(record).toEqual(before);
  });
});

describe("submitClock", () => {
  it.each([
    [null, "local"],
    [recordIn("queued"), "shared"],
    [recordIn("submitting"), "shared"],
    [recordIn("accepted", {}, POLL), "local"],
    [recordIn("succeeded"), "local"],
    [recordIn("dead"), "local"],
  ] as const)("%# → %s", (record, clock) => {
    expect(submitClock(record)).toBe(clock);
  });

  it.each([
    ["queued, nothing sent", recordIn("queued"), "none"],
    ["submitting, no lease", recordIn("submitting"), "none"],
    [
      "submitting, our own lease",
      recordIn("submitting", { leaseOwner: ME, leaseUntilMs: T0 + 1 }),
      "none",
    ],
    [
      "submitting, another's lease",
      recordIn("submitting", { leaseOwner: OTHER, leaseUntilMs: T0 + 1 }),
      "shared",
    ],
    [
      "submitting, another's ended lease",
      recordIn("submitting", { leaseOwner: OTHER, leaseUntilMs: T0 - 1 }),
      "shared",
    ],
    ["queued, outcome unknown", recordIn("queued", { mayExist: true, lastSentAtMs: T0 }), "shared"],
    [
      "submitting, outcome unknown, our lease",
      recordIn("submitting", { mayExist: true, leaseOwner: ME }),
      "shared",
    ],
    ["accepted", recordIn("accepted", {}, POLL), "local"],
    ["no record", null, "local"],
  ] as const)("given the run's lease owner: %s → %s", (_name, record, clock) => {
    expect(submitClock(record, ME)).toBe(clock);
  });

  // The claim "none" makes: the decision is the same whatever the clock says, so the
  // worker may skip reading Redis's clock before it.
  it("`none`: the decision is the same at every time", () => {
    const times = [0, T0 - 86_400_000, T0 - 1, T0, T0 + 1, LOOK_AT, T0 + 86_400_000, 2 ** 52];
    const candidates = ROWS.map((row) => row.record).concat([
      recordIn("submitting", { leaseOwner: ME, leaseUntilMs: T0 + 1 }),
      recordIn("queued", { leaseOwner: ME, leaseUntilMs: T0 + 1 }, { attempts: 2 }),
    ]);
    const none = candidates.filter((record) => submitClock(record, ME) === "none");
    expect(none.length).toBeGreaterThanOrEqual(3);
    for (const record of none) {
      const decisions = times.map((now) => decideSubmit(record, now, ME, SETTINGS));
      for (const d of decisions) expect(d).toEqual({ action: "send" });
    }
  });

  it("`none` (property): over any submit state, no time changes the decision", () => {
    const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const time = fc.integer({ min: 0, max: 2 * T0 });
    fc.assert(
      fc.property(
        fc.constantFrom("queued", "submitting"),
        fc.boolean(),
        optional(fc.constantFrom(ME, OTHER, "")),
        optional(time),
        optional(time),
        optional(time),
        time,
        time,
        (state, mayExist, leaseOwner, leaseUntilMs, lastSentAtMs, answeredAtMs, t1, t2) => {
          const submit = { mayExist, leaseOwner, leaseUntilMs, lastSentAtMs, answeredAtMs };
          const record = recordIn(
            state,
            JSON.parse(JSON.stringify(submit)) as Partial<SubmitState>,
          );
          if (submitClock(record, ME) !== "none") return;
          expect(decideSubmit(record, t1, ME, SETTINGS)).toEqual(
            decideSubmit(record, t2, ME, SETTINGS),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("otherLiveLeaseUntil", () => {
  it.each([
    { name: "no lease", submit: {}, now: T0, expected: undefined },
    {
      name: "ours",
      submit: { leaseOwner: ME, leaseUntilMs: T0 + 1 },
      now: T0,
      expected: undefined,
    },
    {
      name: "another's, live",
      submit: { leaseOwner: OTHER, leaseUntilMs: T0 + 1 },
      now: T0,
      expected: T0 + 1,
    },
    {
      name: "another's, ended",
      submit: { leaseOwner: OTHER, leaseUntilMs: T0 },
      now: T0,
      expected: undefined,
    },
  ])("$name", ({ submit, now, expected }) => {
    expect(otherLiveLeaseUntil({ mayExist: true, generation: 0, ...submit }, ME, now)).toBe(
      expected,
    );
  });
});

describe("the lease and its fence", () => {
  it("a lease lasts the request timeout plus the margin", () => {
    expect(submitLeaseUntilMs(T0, SETTINGS)).toBe(T0 + 15_000);
  });

  it.each([
    { lostMs: 0, send: true },
    { lostMs: 2_499, send: true },
    { lostMs: 2_500, send: true },
    { lostMs: 2_500.5, send: false },
    { lostMs: 60_000, send: false },
  ])("lost $lostMs ms of a 5000 ms margin → send: $send", ({ lostMs, send }) => {
    const hold = checkLeaseFence(lostMs, SETTINGS.leaseMarginMs);
    if (send) {
      expect(hold).toBeNull();
    } else {
      expect(hold).toMatchObject({ action: "unknown-outcome", code: "LEASE_FENCE" });
      expect(hold?.reason).toContain(`${Math.round(lostMs)} ms`);
    }
  });
});
