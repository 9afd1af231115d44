import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  POLL_JITTER,
  nextPollDelayMs,
  planNextPoll,
  pollDeadlineAt,
} from "../../src/worker/poll-schedule.js";

const ALMOST_ONE = 1 - Number.EPSILON / 2;
const fixed = (r: number) => () => r;
const NO_JITTER = fixed(0.5);
const DEFAULTS = { firstDelayMs: 10_000, maxDelayMs: 300_000, deadlineMs: 86_400_000 };

const randomSource = fc.oneof(
  fc.constant(fixed(0)),
  fc.constant(fixed(ALMOST_ONE)),
  fc.constant(NO_JITTER),
  fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })).map((s) => {
    const it = s[Symbol.iterator]();
    return () => it.next().value as number;
  }),
);

/**
 * firstDelayMs ≤ maxDelayMs ≤ deadlineMs, as config guarantees; the deadline is at most
 * a few hundred cap-length delays away so that walking a whole chain stays cheap.
 */
const schedule = fc.oneof(
  fc.constant(DEFAULTS),
  fc
    .tuple(
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer({ min: 0, max: 600_000 }),
      fc.integer({ min: 0, max: 300 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    )
    .map(([firstDelayMs, extraMax, caps, fraction]) => {
      const maxDelayMs = firstDelayMs + extraMax;
      return {
        firstDelayMs,
        maxDelayMs,
        deadlineMs: maxDelayMs + caps * maxDelayMs + Math.floor(fraction * maxDelayMs),
      };
    }),
);

describe("nextPollDelayMs", () => {
  it("polls first after exactly firstDelayMs, whatever the random source", () => {
    for (const r of [0, 0.5, ALMOST_ONE])
      expect(nextPollDelayMs(1, DEFAULTS, fixed(r))).toBe(10_000);
  });

  it("doubles without jitter up to the cap", () => {
    const delays = Array.from({ length: 9 }, (_, i) => nextPollDelayMs(i + 1, DEFAULTS, NO_JITTER));
    expect(delays).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000,
    ]);
  });

  it("jitters ±20% after the first poll, never above the cap", () => {
    expect(POLL_JITTER).toBe(0.2);
    expect(nextPollDelayMs(2, DEFAULTS, fixed(0))).toBe(16_000);
    expect(nextPollDelayMs(2, DEFAULTS, fixed(ALMOST_ONE))).toBe(24_000);
    expect(nextPollDelayMs(20, DEFAULTS, fixed(0))).toBe(240_000);
    expect(nextPollDelayMs(20, DEFAULTS, fixed(ALMOST_ONE))).toBe(300_000);
  });

  it("stays within its bounds for any poll number and random source", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 1, max: 100 }),
          fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        ),
        schedule,
        randomSource,
        (n, opts, random) => {
          const delay = nextPollDelayMs(n, opts, random);
          expect(Number.isSafeInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(1);
          expect(delay).toBeLessThanOrEqual(opts.maxDelayMs);
          if (n === 1) {
            expect(delay).toBe(opts.firstDelayMs);
          } else {
            const base = Math.min(opts.maxDelayMs, opts.firstDelayMs * 2 ** Math.min(n - 1, 60));
            expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - POLL_JITTER)));
            expect(delay).toBeLessThanOrEqual(Math.ceil(base * (1 + POLL_JITTER)));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("is monotone non-decreasing without jitter", () => {
    fc.assert(
      fc.property(schedule, (opts) => {
        let previous = 0;
        for (let n = 1; n <= 80; n++) {
          const delay = nextPollDelayMs(n, opts, NO_JITTER);
          expect(delay).toBeGreaterThanOrEqual(previous);
          previous = delay;
        }
        expect(previous).toBe(opts.maxDelayMs);
      }),
    );
  });

  it("refuses bad input", () => {
    for (const n of [0, -1, 1.5, NaN, Infinity])
      expect(() => nextPollDelayMs(n, DEFAULTS)).toThrow(RangeError);
    expect(() => nextPollDelayMs(1, { firstDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
    expect(() => nextPollDelayMs(1, { firstDelayMs: -1, maxDelayMs: 5 })).toThrow(/firstDelayMs/);
    expect(() => nextPollDelayMs(1, { firstDelayMs: 1, maxDelayMs: Infinity })).toThrow(
      /maxDelayMs/,
    );
  });
});

describe("pollDeadlineAt", () => {
  it("is acceptance plus the deadline", () => {
    expect(pollDeadlineAt(1_700_000_000_000, 86_400_000)).toBe(1_700_086_400_000);
  });
});

describe("planNextPoll", () => {
  const acceptedAtMs = 1_700_000_000_000;

  it("aims the first poll at acceptance + firstDelayMs", () => {
    const base = { ...DEFAULTS, acceptedAtMs, pollNumber: 1 };
    expect(planNextPoll({ ...base, nowMs: acceptedAtMs }, NO_JITTER)).toEqual({
      action: "poll",
      delayMs: 10_000,
    });
    expect(planNextPoll({ ...base, nowMs: acceptedAtMs + 3000 }, NO_JITTER)).toEqual({
      action: "poll",
      delayMs: 7000,
    });
    expect(planNextPoll({ ...base, nowMs: acceptedAtMs + 60_000 }, NO_JITTER)).toEqual({
      action: "poll",
      delayMs: 0,
    });
  });

  it("schedules later polls from now", () => {
    expect(
      planNextPoll(
        { ...DEFAULTS, acceptedAtMs, pollNumber: 3, nowMs: acceptedAtMs + 30_000 },
        NO_JITTER,
      ),
    ).toEqual({ action: "poll", delayMs: 40_000 });
  });

  it("clamps the last poll to land at the deadline, then answers deadline", () => {
    const opts = { firstDelayMs: 1000, maxDelayMs: 60_000, deadlineMs: 100_000 };
    const deadlineAt = acceptedAtMs + 100_000;
    expect(
      planNextPoll({ ...opts, acceptedAtMs, pollNumber: 5, nowMs: deadlineAt - 500 }, NO_JITTER),
    ).toEqual({
      action: "poll",
      delayMs: 500,
    });
    expect(
      planNextPoll({ ...opts, acceptedAtMs, pollNumber: 6, nowMs: deadlineAt }, NO_JITTER),
    ).toEqual({
      action: "deadline",
    });
    expect(
      planNextPoll({ ...opts, acceptedAtMs, pollNumber: 6, nowMs: deadlineAt + 1 }, NO_JITTER),
    ).toEqual({
      action: "deadline",
    });
  });

  it("with a zero deadline, answers deadline at once", () => {
    expect(
      planNextPoll({
        firstDelayMs: 0,
        maxDelayMs: 0,
        deadlineMs: 0,
        acceptedAtMs,
        pollNumber: 1,
        nowMs: acceptedAtMs,
      }),
    ).toEqual({ action: "deadline" });
  });

  it("refuses non-finite times and a negative deadline", () => {
    const base = { ...DEFAULTS, acceptedAtMs, pollNumber: 1, nowMs: acceptedAtMs };
    expect(() => planNextPoll({ ...base, nowMs: NaN })).toThrow(RangeError);
    expect(() => planNextPoll({ ...base, acceptedAtMs: Infinity })).toThrow(RangeError);
    expect(() => planNextPoll({ ...base, deadlineMs: -1 })).toThrow(RangeError);
  });

  it("never schedules past the deadline, and the chain terminates with its last poll at the deadline", () => {
    fc.assert(
      fc.property(
        schedule,
        randomSource,
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 20 }),
        (opts, random, processingMs) => {
          const deadlineAt = pollDeadlineAt(acceptedAtMs, opts.deadlineMs);
          // Bound: the doubling phase, then polls at least 0.8 × max apart, plus the clamped one.
          const maxPolls =
            60 + Math.ceil(opts.deadlineMs / Math.max(1, Math.floor(0.8 * opts.maxDelayMs))) + 2;
          const polls: Array<{ pollNumber: number; delayMs: number; pollAt: number }> = [];
          let nowMs = acceptedAtMs;
          let endedAt: number | undefined;
          for (let pollNumber = 1; pollNumber <= maxPolls + 1; pollNumber++) {
            const plan = planNextPoll({ ...opts, acceptedAtMs, nowMs, pollNumber }, random);
            if (plan.action === "deadline") {
              endedAt = nowMs;
              break;
            }
            const pollAt = nowMs + plan.delayMs;
            polls.push({ pollNumber, delayMs: plan.delayMs, pollAt });
            // The poll itself takes a while; the next plan is made after it.
            nowMs = pollAt + (processingMs[pollNumber % processingMs.length] ?? 0);
          }
          expect(endedAt).toBeGreaterThanOrEqual(deadlineAt);
          expect(polls.length).toBeLessThanOrEqual(maxPolls);
          const bad = polls.filter(
            (p) =>
              !Number.isSafeInteger(p.delayMs) ||
              p.delayMs < 0 ||
              p.delayMs > opts.maxDelayMs ||
              p.pollAt > deadlineAt,
          );
          expect(bad).toEqual([]);
          expect(polls[0]?.pollAt).toBe(acceptedAtMs + opts.firstDelayMs);
          // The chain does not give up early: the last poll landed at the deadline, or
          // the time spent polling carried it past.
          const last = polls.at(-1)!;
          expect(last.pollAt).toBeGreaterThanOrEqual(deadlineAt - Math.max(...processingMs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("with instant polls, the last poll is exactly at the deadline", () => {
    fc.assert(
      fc.property(schedule, randomSource, (opts, random) => {
        let nowMs = acceptedAtMs;
        let pollNumber = 1;
        for (;;) {
          const plan = planNextPoll({ ...opts, acceptedAtMs, nowMs, pollNumber }, random);
          if (plan.action === "deadline") break;
          nowMs += plan.delayMs;
          pollNumber++;
        }
        expect(nowMs).toBe(pollDeadlineAt(acceptedAtMs, opts.deadlineMs));
      }),
      { numRuns: 300 },
    );
  });
});
