import { describe, expect, it } from "vitest";
import {
  decideSubmitFailure,
  submitFailureError,
  type SubmitFailure,
  type SubmitFailureInput,
  type SubmitFailureVerdict,
} from "../../src/domain/submit-failure.js";

const REJECTED: SubmitFailure = {
  action: "permanent",
  reason: "GatePay rejected the refund (500206)",
  code: "500206",
};
const SYSTEM: SubmitFailure = {
  action: "unknown-outcome",
  reason: "GatePay answered HTTP 500; the refund may have been created",
  code: "300000",
  delayMs: 2_000,
};
const TIMEOUT: SubmitFailure = { action: "unknown-outcome", reason: "timed out" };
const REFUSED: SubmitFailure = { action: "retry", reason: "the request never reached GatePay" };
const LIMITED: SubmitFailure = { action: "retry-after", reason: "rate limited", delayMs: 1_500 };
const BALANCE: SubmitFailure = { action: "halt", reason: "insufficient balance", code: "400605" };
const FENCE: SubmitFailure = {
  action: "unknown-outcome",
  code: "LEASE_FENCE",
  reason: "the submit lease took 3000 ms to land",
};

const base = { mayExist: false, hadUnknownOutcome: false, attemptNo: 2, lastAttempt: false };
const UNKNOWN_SUFFIX =
  "; the outcome of an earlier send is unknown, replay re-checks GatePay first";

interface Row {
  name: string;
  input: Partial<SubmitFailureInput> & { failure: SubmitFailure };
  expected: SubmitFailureVerdict;
}

const ROWS: Row[] = [
  // Rejected: only when nothing may exist, now or before.
  {
    name: "permanent on a clean send → rejected",
    input: { failure: REJECTED },
    expected: {
      outcome: "rejected",
      event: { type: "rejected", error: { code: "500206", message: REJECTED.reason } },
    },
  },
  {
    name: "permanent on the last attempt, clean → rejected (not dead)",
    input: { failure: REJECTED, lastAttempt: true },
    expected: {
      outcome: "rejected",
      event: { type: "rejected", error: { code: "500206", message: REJECTED.reason } },
    },
  },
  // Permanent after unknown is unknown.
  {
    name: "permanent after an earlier unknown outcome → deferred, may exist",
    input: { failure: REJECTED, hadUnknownOutcome: true },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: true,
        error: { code: "500206", message: REJECTED.reason },
      },
      retryAfterMs: undefined,
    },
  },
  {
    name: "permanent on a request that may have arrived (lookup) → deferred, may exist",
    input: { failure: REJECTED, mayExist: true },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: true,
        error: { code: "500206", message: REJECTED.reason },
      },
      retryAfterMs: undefined,
    },
  },
  {
    name: "permanent after unknown, last attempt → dead, replay re-checks",
    input: { failure: REJECTED, hadUnknownOutcome: true, lastAttempt: true, attemptNo: 8 },
    expected: {
      outcome: "dead",
      event: {
        type: "dead",
        error: {
          code: "500206",
          message: `attempts exhausted (8): ${REJECTED.reason}${UNKNOWN_SUFFIX}`,
        },
      },
    },
  },
  // Unknown outcomes.
  {
    name: "unknown outcome with the server's delay → deferred, may exist, retry after it",
    input: { failure: SYSTEM, mayExist: true },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: true,
        error: { code: "300000", message: SYSTEM.reason },
      },
      retryAfterMs: 2_000,
    },
  },
  {
    name: "timeout without a code → code UNKNOWN-OUTCOME",
    input: { failure: TIMEOUT, mayExist: true },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: true,
        error: { code: "UNKNOWN-OUTCOME", message: "timed out" },
      },
      retryAfterMs: undefined,
    },
  },
  {
    name: "unknown outcome on the last attempt → dead, replay re-checks",
    input: { failure: TIMEOUT, mayExist: true, lastAttempt: true, attemptNo: 8 },
    expected: {
      outcome: "dead",
      event: {
        type: "dead",
        error: {
          code: "UNKNOWN-OUTCOME",
          message: `attempts exhausted (8): timed out${UNKNOWN_SUFFIX}`,
        },
      },
    },
  },
  {
    name: "the lease fence → deferred, may exist (never sent, looked up before any send)",
    input: { failure: FENCE, mayExist: true },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: true,
        error: { code: "LEASE_FENCE", message: FENCE.reason },
      },
      retryAfterMs: undefined,
    },
  },
  // Retryable, nothing sent.
  {
    name: "refused connection → deferred, nothing exists",
    input: { failure: REFUSED },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: false,
        error: { code: "RETRY", message: REFUSED.reason },
      },
      retryAfterMs: undefined,
    },
  },
  {
    name: "refused connection after an earlier unknown: the deferral says nothing new exists",
    input: { failure: REFUSED, hadUnknownOutcome: true },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: false,
        error: { code: "RETRY", message: REFUSED.reason },
      },
      retryAfterMs: undefined,
    },
  },
  {
    name: "429 → deferred after Retry-After",
    input: { failure: LIMITED },
    expected: {
      outcome: "retry",
      event: {
        type: "submit-deferred",
        mayExist: false,
        error: { code: "RETRY-AFTER", message: "rate limited" },
      },
      retryAfterMs: 1_500,
    },
  },
  {
    name: "retryable on the last attempt, clean → dead, no unknown note",
    input: { failure: REFUSED, lastAttempt: true, attemptNo: 8 },
    expected: {
      outcome: "dead",
      event: {
        type: "dead",
        error: { code: "RETRY", message: `attempts exhausted (8): ${REFUSED.reason}` },
      },
    },
  },
  {
    name: "retryable on the last attempt after an earlier unknown → dead, replay re-checks",
    input: { failure: REFUSED, lastAttempt: true, attemptNo: 8, hadUnknownOutcome: true },
    expected: {
      outcome: "dead",
      event: {
        type: "dead",
        error: {
          code: "RETRY",
          message: `attempts exhausted (8): ${REFUSED.reason}${UNKNOWN_SUFFIX}`,
        },
      },
    },
  },
  // Halt: an operator must act, whatever the attempt.
  {
    name: "halt on the first attempt → dead, operator action",
    input: { failure: BALANCE, attemptNo: 1 },
    expected: {
      outcome: "dead",
      event: {
        type: "dead",
        error: {
          code: "400605",
          message: "insufficient balance (operator action needed; replay re-checks GatePay first)",
        },
      },
    },
  },
  {
    name: "halt on the last attempt → the operator message, not 'attempts exhausted'",
    input: { failure: BALANCE, lastAttempt: true, attemptNo: 8, mayExist: true },
    expected: {
      outcome: "dead",
      event: {
        type: "dead",
        error: {
          code: "400605",
          message: "insufficient balance (operator action needed; replay re-checks GatePay first)",
        },
      },
    },
  },
];

describe("decideSubmitFailure", () => {
  it.each(ROWS)("$name", ({ input, expected }) => {
    expect(decideSubmitFailure({ ...base, ...input })).toEqual(expected);
  });

  it("never rejects when the request may have reached GatePay or an earlier one may have", () => {
    for (const mayExist of [false, true]) {
      for (const hadUnknownOutcome of [false, true]) {
        for (const lastAttempt of [false, true]) {
          const v = decideSubmitFailure({
            ...base,
            failure: REJECTED,
            mayExist,
            hadUnknownOutcome,
            lastAttempt,
          });
          expect(v.outcome === "rejected").toBe(!mayExist && !hadUnknownOutcome);
        }
      }
    }
  });
});

describe("the answer time of an unknown outcome", () => {
  it("goes into the deferral, so the first lookup counts its grace from the answer", () => {
    const v = decideSubmitFailure({ ...base, failure: SYSTEM, mayExist: true, answeredAtMs: 42 });
    expect(v).toMatchObject({ outcome: "retry", event: { answeredAtMs: 42, mayExist: true } });
  });

  it("is absent when no answer came", () => {
    const v = decideSubmitFailure({ ...base, failure: TIMEOUT, mayExist: true });
    expect(v.event).not.toHaveProperty("answeredAtMs");
  });
});

describe("submitFailureError", () => {
  it("keeps GatePay's code, else names the action", () => {
    expect(submitFailureError(REJECTED)).toEqual({ code: "500206", message: REJECTED.reason });
    expect(submitFailureError(BALANCE).code).toBe("400605");
    expect(submitFailureError({ action: "halt", reason: "a bug" })).toEqual({
      code: "HALT",
      message: "a bug",
    });
  });
});
