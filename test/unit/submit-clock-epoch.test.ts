/**
 * Shared-clock times across a change of Redis server (issue 12 item 4, grace-clock.ts):
 * a lease end, a send time or an answer time read under one server epoch is never
 * compared with a now read under another. The decision asks to re-base them first
 * (`restart-clock`), the re-base only ever pushes a look-up or send later, and a failing
 * run never judges another run's lease from another epoch expired.
 */
import { describe, expect, it } from "vitest";
import { mayWriteOwnFailure } from "../../src/domain/own-failure-write.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { applyRefundEvent } from "../../src/domain/refund-state.js";
import { decideSubmit, submitLeaseUntilMs } from "../../src/domain/submit-decision.js";
import { LOOK_AT, ME, OTHER, SETTINGS, T0, recordIn } from "../helpers/submit-decision-fixtures.js";

const OLD = "run-a:repl-a";
const NEW = "run-b:repl-b";
/** The new master's clock: another host's, here far ahead of the old one. */
const NOW_ON_NEW = T0 + 3_600_000;

function applied(record: RefundRecord, event: Parameters<typeof applyRefundEvent>[1]) {
  const result = applyRefundEvent(record, event, T0);
  if (!result.changed) throw new Error(result.reason);
  return result.record;
}

/** Leased and sent at T0 by another run, under `epoch` (undefined: none recorded). */
function leasedUnder(epoch: string | undefined): RefundRecord {
  return applied(recordIn("queued"), {
    type: "submit-started",
    attempt: 1,
    leaseOwner: OTHER,
    leaseUntilMs: submitLeaseUntilMs(T0, SETTINGS),
    sentAtMs: T0,
    ...(epoch === undefined ? {} : { epoch }),
  });
}

/** Sent at T0 under `epoch` by another run, outcome unknown (no answer). */
function unknownOutcomeUnder(epoch: string | undefined): RefundRecord {
  return applied(leasedUnder(epoch), {
    type: "submit-deferred",
    mayExist: true,
    sentAttempt: 1,
    error: { code: "TIMEOUT", message: "no answer" },
  });
}

describe("decideSubmit across a change of Redis server", () => {
  it("does not look up on time elapsed across it: it restarts the clock", () => {
    const record = unknownOutcomeUnder(OLD);
    expect(record.submit.clockEpoch).toBe(OLD);
    // What the elapsed time alone would do: look up (and on a "not found", note it).
    expect(decideSubmit(record, NOW_ON_NEW, ME, SETTINGS, OLD)).toEqual({ action: "look-up" });
    expect(decideSubmit(record, NOW_ON_NEW, ME, SETTINGS, NEW)).toEqual({
      action: "restart-clock",
    });
  });

  it("does not take another run's lease for expired across it", () => {
    const leased = leasedUnder(OLD);
    expect(decideSubmit(leased, NOW_ON_NEW, ME, SETTINGS, NEW)).toEqual({
      action: "restart-clock",
    });
  });

  it("trusts times when either epoch is unknown (records and workers from before)", () => {
    expect(decideSubmit(unknownOutcomeUnder(undefined), NOW_ON_NEW, ME, SETTINGS, NEW)).toEqual({
      action: "look-up",
    });
    expect(decideSubmit(unknownOutcomeUnder(OLD), NOW_ON_NEW, ME, SETTINGS)).toEqual({
      action: "look-up",
    });
  });

  it("a fresh refund with nothing sent is sent at once whatever the epoch", () => {
    const queued = recordIn("queued", { clockEpoch: OLD });
    expect(decideSubmit(queued, NOW_ON_NEW, ME, SETTINGS, NEW)).toEqual({ action: "send" });
  });

  it("after the restart: the full lease, then the timeout and the grace again, from now", () => {
    const leased = leasedUnder(OLD);
    const restarted = applied(leased, {
      type: "clock-restarted",
      atMs: NOW_ON_NEW,
      epoch: NEW,
      leaseUntilMs: submitLeaseUntilMs(NOW_ON_NEW, SETTINGS),
    });
    expect(restarted.submit).toMatchObject({
      clockEpoch: NEW,
      lastSentAtMs: NOW_ON_NEW,
      leaseOwner: OTHER,
      leaseUntilMs: submitLeaseUntilMs(NOW_ON_NEW, SETTINGS),
      mayExist: true,
    });
    expect(restarted.attempts).toBe(leased.attempts);
    expect(decideSubmit(restarted, NOW_ON_NEW, ME, SETTINGS, NEW)).toEqual({
      action: "wait-until",
      atMs: submitLeaseUntilMs(NOW_ON_NEW, SETTINGS),
      reason: "lease",
    });
    const deferred = applied(restarted, {
      type: "submit-deferred",
      mayExist: true,
      sentAttempt: 1,
      error: { code: "TIMEOUT", message: "no answer" },
    });
    const lookAt = LOOK_AT - T0 + NOW_ON_NEW;
    expect(decideSubmit(deferred, lookAt - 1, ME, SETTINGS, NEW)).toEqual({
      action: "wait-until",
      atMs: lookAt,
      reason: "look-up-time",
    });
    expect(decideSubmit(deferred, lookAt, ME, SETTINGS, NEW)).toEqual({ action: "look-up" });
  });

  it("the restart forgets an answer time and a 'not found' note, keeps a replay's 0", () => {
    const noted = recordIn(
      "submitting",
      { lastSentAtMs: T0, answeredAtMs: T0 + 5, notFoundAtMs: T0 + 9, notFoundEpoch: OLD },
      { attempts: 1 },
    );
    const event = {
      type: "clock-restarted",
      atMs: NOW_ON_NEW,
      epoch: NEW,
      leaseUntilMs: 0,
    } as const;
    const restarted = applied(noted, event).submit;
    expect(restarted.answeredAtMs).toBeUndefined();
    expect(restarted.notFoundAtMs).toBeUndefined();
    expect(restarted.notFoundEpoch).toBeUndefined();
    expect(restarted.leaseUntilMs).toBeUndefined(); // no lease held: none made up
    const replayed = recordIn("queued", { mayExist: true, notFoundAtMs: 0 }, { attempts: 1 });
    expect(applied(replayed, event).submit.notFoundAtMs).toBe(0);
  });
});

describe("an answer time read under another epoch than its send", () => {
  it("is dropped; under the send's epoch it is kept", () => {
    const started = applied(recordIn("queued"), {
      type: "submit-started",
      attempt: 1,
      leaseOwner: ME,
      leaseUntilMs: submitLeaseUntilMs(T0, SETTINGS),
      sentAtMs: T0,
      epoch: OLD,
    });
    const deferral = (answeredEpoch: string) =>
      applied(started, {
        type: "submit-deferred",
        mayExist: true,
        sentAttempt: 1,
        answeredAtMs: T0 + 1_000,
        answeredEpoch,
        error: { code: "300000", message: "system error" },
      }).submit.answeredAtMs;
    expect(deferral(OLD)).toBe(T0 + 1_000);
    expect(deferral(NEW)).toBeUndefined();
  });
});

describe("mayWriteOwnFailure across a change of Redis server", () => {
  it("counts another run's lease from another epoch as live", () => {
    // This run's view already had the other run's lease (nothing changed hands since).
    const lease = { leaseOwner: OTHER, leaseUntilMs: T0, clockEpoch: OLD };
    const own = recordIn("submitting", lease, { attempts: 1 });
    const fresh = recordIn("submitting", lease, { attempts: 1, version: 3 });
    // On the old clock the lease is long over; across epochs that proves nothing.
    expect(mayWriteOwnFailure(own, fresh, ME, NOW_ON_NEW, OLD)).toBe(true);
    expect(mayWriteOwnFailure(own, fresh, ME, NOW_ON_NEW, NEW)).toBe(false);
  });
});
