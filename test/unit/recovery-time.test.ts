import { describe, expect, it } from "vitest";
import {
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
  deriveRecoveryTiming,
  sendDeadlineMs,
} from "../../src/worker/recovery-time.js";

const DEFAULTS = {
  lockDurationMs: DEFAULT_LOCK_DURATION_MS,
  stalledIntervalMs: DEFAULT_STALLED_INTERVAL_MS,
  timeoutMs: 10_000,
  leaseMarginMs: 2_000,
};

describe("deriveRecoveryTiming", () => {
  it("the defaults recover within 12 s from every state, under the issue's 15 s target", () => {
    const t = deriveRecoveryTiming(DEFAULTS);
    expect(t).toMatchObject({ lockDurationMs: 10_000, stalledIntervalMs: 2_000, leaseMs: 12_000 });
    expect(t.objectives).toEqual({
      activeJob: 12_000,
      leaseBeforePost: 12_000,
      postAnswerLost: 12_000,
      pollJob: 12_000,
    });
    expect(t.maxStalledCount).toBe(300);
    for (const ms of Object.values(t.objectives)) expect(ms).toBeLessThanOrEqual(15_000);
  });

  it("the lease always fits a send with the full timeout, plus the margin", () => {
    for (const timeoutMs of [1, 1_000, 10_000, 30_000, 600_000]) {
      for (const lockDurationMs of [1_000, 10_000, 60_000]) {
        const t = deriveRecoveryTiming({
          ...DEFAULTS,
          timeoutMs,
          lockDurationMs,
          stalledIntervalMs: 500,
        });
        expect(t.leaseMs).toBeGreaterThanOrEqual(timeoutMs + DEFAULTS.leaseMarginMs);
        expect(t.leaseMs).toBeGreaterThanOrEqual(lockDurationMs + 500);
        expect(t.objectives.leaseBeforePost).toBe(t.leaseMs);
      }
    }
  });

  it("a long GatePay timeout lengthens the lease and the recovery from a held lease only", () => {
    const t = deriveRecoveryTiming({ ...DEFAULTS, timeoutMs: 30_000 });
    expect(t.leaseMs).toBe(32_000);
    expect(t.objectives.leaseBeforePost).toBe(32_000);
    expect(t.objectives.activeJob).toBe(12_000);
  });

  it("the old defaults (30 s lock, 30 s check) took up to a minute", () => {
    const t = deriveRecoveryTiming({
      ...DEFAULTS,
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
    });
    expect(t.objectives.activeJob).toBe(60_000);
  });

  it("refuses a stalled interval above the lock, and values that are not positive integers", () => {
    expect(() => deriveRecoveryTiming({ ...DEFAULTS, stalledIntervalMs: 10_001 })).toThrow(
      /stalledIntervalMs \(10001\) must not exceed lockDurationMs \(10000\)/,
    );
    expect(() => deriveRecoveryTiming({ ...DEFAULTS, lockDurationMs: 0 })).toThrow(
      /lockDurationMs/,
    );
    expect(() => deriveRecoveryTiming({ ...DEFAULTS, timeoutMs: 1.5 })).toThrow(/timeoutMs/);
    expect(deriveRecoveryTiming({ ...DEFAULTS, leaseMarginMs: 0 }).leaseMs).toBe(12_000);
  });
});

describe("sendDeadlineMs", () => {
  it("is the lease's end minus the margin, counted on the local clock", () => {
    expect(sendDeadlineMs(1_000_000, { leaseMs: 12_000, leaseMarginMs: 2_000 })).toBe(1_010_000);
  });
});
