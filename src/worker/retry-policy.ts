/**
 * Backoff between attempts of a refund submission. Pure: the random source is an
 * argument, so the bounds are property-tested.
 *
 * BullMQ owns the attempts of the submit job (STYLE.md "Retries: one owner per layer");
 * its custom backoff strategy calls {@link submitBackoffDelayMs} with the number of
 * attempts made so far. Every attempt re-signs with a fresh timestamp and nonce
 * (gatepay-api.md §2.3, §2.4) and the same `refundRequestId`.
 */

/** Shape of the exponential backoff, in milliseconds. */
export interface SubmitBackoffOptions {
  /** Ceiling of the first retry's delay; doubles with each attempt. */
  baseMs: number;
  /** Largest ceiling, whatever the attempt number. */
  capMs: number;
  /**
   * The server's `Retry-After`, in milliseconds, when it sent one: the delay is never
   * shorter. Ignored when `undefined`, negative or not finite.
   */
  retryAfterMs?: number | undefined;
}

/** Default backoff of submissions: 1 s doubling, capped at 60 s. */
export const DEFAULT_SUBMIT_BACKOFF: Readonly<{ baseMs: number; capMs: number }> = Object.freeze({
  baseMs: 1000,
  capMs: 60_000,
});

// 2^52 × any finite base is still finite, and no realistic cap is above that.
const MAX_EXPONENT = 52;

/**
 * The delay before the next submission attempt, in whole milliseconds: exponential with
 * full jitter, `floor(random() × min(capMs, baseMs × 2^(attemptsMade − 1)))`, raised to
 * `ceil(retryAfterMs)` when GatePay (or a proxy) asked for a longer wait.
 *
 * Full jitter spreads the retries of many workers that failed together (a GatePay
 * outage) instead of sending them back in waves.
 *
 * Bounds, for any `attemptsMade` (huge, zero, fractional, NaN all work) and any random
 * source (its output is clamped to [0, 1]): an integer ≥ 0, ≥ `ceil(retryAfterMs)`, and
 * ≤ `max(capMs, ceil(retryAfterMs))`.
 *
 * @param attemptsMade attempts already made, 1 after the first failure; values below 1
 *   count as 1.
 * @param random uniform source in [0, 1); default `Math.random`.
 * @throws RangeError when `baseMs` or `capMs` is negative or not finite.
 */
export function submitBackoffDelayMs(
  attemptsMade: number,
  opts: SubmitBackoffOptions,
  random: () => number = Math.random,
): number {
  const { baseMs, capMs } = opts;
  if (!Number.isFinite(baseMs) || baseMs < 0) {
    throw new RangeError(`baseMs must be a finite number ≥ 0 (got ${String(baseMs)})`);
  }
  if (!Number.isFinite(capMs) || capMs < 0) {
    throw new RangeError(`capMs must be a finite number ≥ 0 (got ${String(capMs)})`);
  }
  const attempt = Number.isFinite(attemptsMade) ? Math.max(1, Math.floor(attemptsMade)) : 1;
  const exponent = Math.min(attempt - 1, MAX_EXPONENT);
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  const delay = Math.floor(unit(random()) * ceiling);
  const retryAfter = opts.retryAfterMs;
  if (retryAfter === undefined || !Number.isFinite(retryAfter) || retryAfter < 0) return delay;
  return Math.max(delay, Math.ceil(retryAfter));
}

/** Clamps a random draw into [0, 1]; NaN counts as 0. */
function unit(r: number): number {
  return r > 0 ? Math.min(r, 1) : 0;
}

/**
 * A server's `Retry-After` (ms) held to at most `maxMs`: a proxy's `Retry-After:
 * 31536000` must not park a refund for a year with no alert. `capped` says the value
 * was lowered (count it, log it). `undefined`, negative or non-finite values pass
 * through unchanged (submitBackoffDelayMs ignores them).
 */
export function capRetryAfterMs(
  retryAfterMs: number | undefined,
  maxMs: number,
): { retryAfterMs: number | undefined; capped: boolean } {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= maxMs) {
    return { retryAfterMs, capped: false };
  }
  return { retryAfterMs: maxMs, capped: true };
}
