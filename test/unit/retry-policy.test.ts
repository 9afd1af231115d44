import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  capRetryAfterMs,
  DEFAULT_SUBMIT_BACKOFF,
  submitBackoffDelayMs,
} from "../../src/worker/retry-policy.js";

const ALMOST_ONE = 1 - Number.EPSILON / 2;
const fixed = (r: number) => () => r;

/** Random sources: the extremes, and arbitrary sequences of draws. */
const randomSource = fc.oneof(
  fc.constant(fixed(0)),
  fc.constant(fixed(ALMOST_ONE)),
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map(fixed),
  fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })).map((s) => {
    const it = s[Symbol.iterator]();
    return () => it.next().value as number;
  }),
);

const attempts = fc.oneof(
  fc.integer({ min: 1, max: 64 }),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, -1, 1.5, 1023, 1024, 1025, Number.MAX_VALUE, Infinity, -Infinity, NaN),
);

const backoff = fc.record({
  baseMs: fc.integer({ min: 0, max: 120_000 }),
  capMs: fc.integer({ min: 0, max: 3_600_000 }),
  retryAfterMs: fc.option(fc.integer({ min: 0, max: 7_200_000 }), { nil: undefined }),
});

describe("submitBackoffDelayMs", () => {
  it("has the documented defaults", () => {
    expect(DEFAULT_SUBMIT_BACKOFF).toEqual({ baseMs: 1000, capMs: 60_000 });
    expect(Object.isFrozen(DEFAULT_SUBMIT_BACKOFF)).toBe(true);
  });

  it("doubles its ceiling per attempt up to the cap (random ≈ 1)", () => {
    const top = fixed(ALMOST_ONE);
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) =>
      submitBackoffDelayMs(n, DEFAULT_SUBMIT_BACKOFF, top),
    );
    expect(ceilings).toEqual([999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999, 59_999]);
  });

  it("is full jitter: random 0 gives 0, random 0.5 gives half the ceiling", () => {
    expect(submitBackoffDelayMs(5, DEFAULT_SUBMIT_BACKOFF, fixed(0))).toBe(0);
    expect(submitBackoffDelayMs(3, DEFAULT_SUBMIT_BACKOFF, fixed(0.5))).toBe(2000);
    expect(submitBackoffDelayMs(30, DEFAULT_SUBMIT_BACKOFF, fixed(0.5))).toBe(30_000);
  });

  it("honours Retry-After, even above the cap", () => {
    expect(
      submitBackoffDelayMs(1, { ...DEFAULT_SUBMIT_BACKOFF, retryAfterMs: 5000 }, fixed(0)),
    ).toBe(5000);
    expect(
      submitBackoffDelayMs(1, { ...DEFAULT_SUBMIT_BACKOFF, retryAfterMs: 120_000 }, fixed(0.9)),
    ).toBe(120_000);
    expect(
      submitBackoffDelayMs(10, { ...DEFAULT_SUBMIT_BACKOFF, retryAfterMs: 10 }, fixed(0.5)),
    ).toBe(30_000);
    expect(
      submitBackoffDelayMs(1, { ...DEFAULT_SUBMIT_BACKOFF, retryAfterMs: 1500.2 }, fixed(0)),
    ).toBe(1501);
  });

  it("ignores an unusable Retry-After", () => {
    for (const retryAfterMs of [undefined, -1, NaN, Infinity, -Infinity]) {
      expect(submitBackoffDelayMs(2, { ...DEFAULT_SUBMIT_BACKOFF, retryAfterMs }, fixed(0))).toBe(
        0,
      );
    }
  });

  it("treats attempt counts below 1 or not finite as the first attempt", () => {
    const top = fixed(ALMOST_ONE);
    for (const n of [0, -5, NaN, Infinity, 0.5]) {
      expect(submitBackoffDelayMs(n, DEFAULT_SUBMIT_BACKOFF, top)).toBe(999);
    }
  });

  it("clamps a misbehaving random source into [0, 1]", () => {
    expect(submitBackoffDelayMs(3, DEFAULT_SUBMIT_BACKOFF, fixed(7))).toBe(4000);
    expect(submitBackoffDelayMs(3, DEFAULT_SUBMIT_BACKOFF, fixed(-3))).toBe(0);
    expect(submitBackoffDelayMs(3, DEFAULT_SUBMIT_BACKOFF, fixed(NaN))).toBe(0);
  });

  it("refuses a negative or non-finite base or cap", () => {
    for (const bad of [-1, NaN, Infinity]) {
      expect(() => submitBackoffDelayMs(1, { baseMs: bad, capMs: 1000 })).toThrow(RangeError);
      expect(() => submitBackoffDelayMs(1, { baseMs: 1000, capMs: bad })).toThrow(RangeError);
    }
  });

  it("stays within its bounds for any attempt, options and random source", () => {
    fc.assert(
      fc.property(attempts, backoff, randomSource, (n, opts, random) => {
        const delay = submitBackoffDelayMs(n, opts, random);
        const retryAfter = opts.retryAfterMs ?? 0;
        expect(Number.isSafeInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeGreaterThanOrEqual(retryAfter);
        expect(delay).toBeLessThanOrEqual(Math.max(opts.capMs, retryAfter));
        if (Number.isFinite(n) && n >= 1) {
          expect(delay).toBeLessThanOrEqual(
            Math.max(opts.baseMs * 2 ** Math.min(Math.floor(n) - 1, 1000), retryAfter),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("has a non-decreasing ceiling over attempts", () => {
    fc.assert(
      fc.property(backoff, (opts) => {
        const top = fixed(ALMOST_ONE);
        let previous = -1;
        for (let n = 1; n <= 80; n++) {
          const delay = submitBackoffDelayMs(n, { baseMs: opts.baseMs, capMs: opts.capMs }, top);
          expect(delay).toBeGreaterThanOrEqual(previous);
          previous = delay;
        }
      }),
    );
  });

  it("uses its default random source", () => {
    const draws = Array.from({ length: 200 }, () =>
      submitBackoffDelayMs(4, DEFAULT_SUBMIT_BACKOFF),
    );
    for (const d of draws) expect(d).toBeGreaterThanOrEqual(0);
    for (const d of draws) expect(d).toBeLessThan(8000);
    expect(new Set(draws).size).toBeGreaterThan(1);
  });
});

describe("capRetryAfterMs", () => {
  it("caps a Retry-After longer than the maximum and says so; passes others through", () => {
    expect(capRetryAfterMs(31_536_000_000, 300_000)).toEqual({
      retryAfterMs: 300_000,
      capped: true,
    });
    expect(capRetryAfterMs(300_000, 300_000)).toEqual({ retryAfterMs: 300_000, capped: false });
    expect(capRetryAfterMs(1_000, 300_000)).toEqual({ retryAfterMs: 1_000, capped: false });
    expect(capRetryAfterMs(undefined, 300_000)).toEqual({ retryAfterMs: undefined, capped: false });
  });
});
