import { describe, expect, it } from "vitest";
import { decideNotFound } from "../../src/domain/not-found-decision.js";
import type { RefundRecord, RefundState, SubmitState } from "../../src/domain/refund-record.js";
import { applyRefundEvent } from "../../src/domain/refund-state.js";
import {
  checkLeaseFence,
  decideSubmit,
  otherLiveLeaseUntil,
  submitClock,
  submitLeaseUntilMs,
  type SubmitDecision,
  type SubmitDecisionSettings,
} from "../../src/domain/submit-decision.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const ME = "worker-a/submit-r-1/1";
const OTHER = "worker-b/submit-r-1/1";
const SETTINGS: SubmitDecisionSettings = {
  timeoutMs: 10_000,
  leaseMarginMs: 5_000,
  unknownOutcomeGraceMs: 30_000,
  pollFirstDelayMs: 10_000,
};
/** The earliest look-up after a send at T0: timeout + grace. */
const LOOK_AT = T0 + SETTINGS.timeoutMs + SETTINGS.unknownOutcomeGraceMs;

/** A record in `state`; `submit` and `extra` override fields. */
function recordIn(
  state: RefundState,
  submit: Partial<SubmitState> = {},
  extra: Partial<RefundRecord> = {},
): RefundRecord {
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
    submit: { mayExist: false, generation: 0, ...submit },
    version: 1,
    ...extra,
  };
}

const POLL = { poll: { acceptedAtMs: T0, deadlineAtMs: T0 + 86_400_000 } };

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
