/**
 * When to ask GatePay for a refund's status again. Pure: clock readings and the random
 * source are arguments.
 *
 * GatePay's accepted answer is not the outcome; the documented flow is to wait for the
 * PAY_REFUND webhook and query refund details if nothing came within 10 s
 * (gatepay-api.md §6.1). No refund poll schedule is documented, so later polls back off
 * like GatePay's payment-order advice (§6.1, BEST): the delay roughly doubles up to a cap,
 * and a refund still unfinished at the deadline becomes `stuck` for a human.
 */

/** The delays of the schedule, in milliseconds. */
export interface PollDelayOptions {
  /** Delay from acceptance to poll 1 (config `POLL_FIRST_DELAY_MS`, default 10000). */
  firstDelayMs: number;
  /** Cap on any delay (config `POLL_MAX_DELAY_MS`, default 300000); ≥ `firstDelayMs`. */
  maxDelayMs: number;
}

/** Inputs of {@link planNextPoll}; all times in milliseconds since the epoch. */
export interface PlanNextPollInput extends PollDelayOptions {
  /** Number of the poll to schedule: 1 = the first poll after acceptance. */
  pollNumber: number;
  /** When GatePay accepted the refund. */
  acceptedAtMs: number;
  /** Now. */
  nowMs: number;
  /** Acceptance to deadline (config `POLL_DEADLINE_MS`, default 86400000). */
  deadlineMs: number;
}

/** What to do next: poll after `delayMs`, or give up (the refund is `stuck`). */
export type PollPlan = { action: "poll"; delayMs: number } | { action: "deadline" };

/** Relative spread of the jitter on polls after the first: ±20 %. */
export const POLL_JITTER = 0.2;

const MAX_EXPONENT = 52;

/**
 * The delay before poll `pollNumber`, in whole milliseconds (≥ 1).
 *
 * Poll 1 waits exactly `firstDelayMs` after acceptance (GatePay's 10 s rule,
 * gatepay-api.md §6.1: the webhook gets its chance first). Poll n ≥ 2 waits
 * `min(maxDelayMs, firstDelayMs × 2^(n−1))` from the previous poll, times a uniform
 * factor in [0.8, 1.2] (desynchronizes refunds accepted together), and never more than
 * `maxDelayMs`. Without jitter (`random` = 0.5) the delays never decrease.
 *
 * @param pollNumber 1 for the first poll after acceptance; an integer ≥ 1.
 * @param random uniform source in [0, 1); default `Math.random`.
 * @throws RangeError on a bad `pollNumber` or delays that are negative, not finite, or
 *   with `firstDelayMs > maxDelayMs`.
 */
export function nextPollDelayMs(
  pollNumber: number,
  opts: PollDelayOptions,
  random: () => number = Math.random,
): number {
  checkDelays(opts);
  if (!Number.isInteger(pollNumber) || pollNumber < 1) {
    throw new RangeError(`pollNumber must be an integer ≥ 1 (got ${String(pollNumber)})`);
  }
  const { firstDelayMs, maxDelayMs } = opts;
  if (pollNumber === 1) return Math.max(1, Math.round(firstDelayMs));
  const exponent = Math.min(pollNumber - 1, MAX_EXPONENT);
  const base = Math.min(maxDelayMs, firstDelayMs * 2 ** exponent);
  const r = random();
  const factor = 1 - POLL_JITTER + 2 * POLL_JITTER * (r > 0 ? Math.min(r, 1) : 0);
  return Math.max(1, Math.round(Math.min(maxDelayMs, base * factor)));
}

/** The time after which no poll is made: `acceptedAtMs + deadlineMs`, in epoch ms. */
export function pollDeadlineAt(acceptedAtMs: number, deadlineMs: number): number {
  return acceptedAtMs + deadlineMs;
}

/**
 * The next step of a refund's poll chain. Called with `pollNumber` 1 on acceptance and
 * with n + 1 after poll n found the refund still in progress.
 *
 * Poll 1 is aimed at `acceptedAtMs + firstDelayMs` (so a late call polls at once);
 * later polls are {@link nextPollDelayMs} from now. No poll is ever scheduled after the
 * deadline: one that would land later is moved to land exactly at it, and a call at or
 * after the deadline answers `deadline`. So the chain ends, and its last poll is at the
 * deadline.
 *
 * @param random uniform source in [0, 1); default `Math.random`.
 * @throws RangeError on invalid numbers (see {@link nextPollDelayMs}; times must be
 *   finite and `deadlineMs` ≥ 0).
 */
export function planNextPoll(
  input: PlanNextPollInput,
  random: () => number = Math.random,
): PollPlan {
  const { pollNumber, acceptedAtMs, nowMs, deadlineMs } = input;
  if (!Number.isFinite(acceptedAtMs) || !Number.isFinite(nowMs)) {
    throw new RangeError("acceptedAtMs and nowMs must be finite");
  }
  if (!Number.isFinite(deadlineMs) || deadlineMs < 0) {
    throw new RangeError(`deadlineMs must be a finite number ≥ 0 (got ${String(deadlineMs)})`);
  }
  const deadlineAt = pollDeadlineAt(acceptedAtMs, deadlineMs);
  const delay = nextPollDelayMs(pollNumber, input, random);
  if (nowMs >= deadlineAt) return { action: "deadline" };
  const wanted = pollNumber === 1 ? Math.max(0, acceptedAtMs + delay - nowMs) : delay;
  return { action: "poll", delayMs: Math.min(wanted, Math.ceil(deadlineAt - nowMs)) };
}

function checkDelays({ firstDelayMs, maxDelayMs }: PollDelayOptions): void {
  if (!Number.isFinite(firstDelayMs) || firstDelayMs < 0) {
    throw new RangeError(`firstDelayMs must be a finite number ≥ 0 (got ${String(firstDelayMs)})`);
  }
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < firstDelayMs) {
    throw new RangeError(
      `maxDelayMs must be a finite number ≥ firstDelayMs (got ${String(maxDelayMs)} < ${String(firstDelayMs)})`,
    );
  }
}
