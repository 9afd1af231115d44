/**
 * Exact decimal arithmetic on money amounts held as strings.
 *
 * GatePay sends and receives amounts as decimal strings (gatepay-api.md §4.1), and some
 * values exceed what a float can hold exactly, so amounts never pass through `Number`:
 * every operation parses to a BigInt scaled by 10^18, works on integers, and formats
 * back. Results are always normalized ({@link normalizeAmount}).
 */

/**
 * The canonical form of an amount in a refund request: digits, optionally a dot and 1–6
 * decimals. No sign, exponent, leading zeros, leading or trailing dot, or spaces.
 * GatePay accepts at most 6 decimal places in requests (gatepay-api.md §4.1).
 */
export const AMOUNT_PATTERN = /^(0|[1-9]\d*)(\.\d{1,6})?$/;

/** Most decimal places GatePay accepts in a request amount (gatepay-api.md §4.1). */
export const MAX_REQUEST_DECIMALS = 6;

/** Smallest amount GatePay accepts per transaction (gatepay-api.md §4.1). */
export const MIN_REFUND_AMOUNT = "0.0001";

/** Largest amount GatePay accepts per transaction (gatepay-api.md §4.1). */
export const MAX_REFUND_AMOUNT = "5000000";

/**
 * Most decimal places any amount may carry, requests or responses. Responses echo more
 * than the 6 a request may carry (`"0.01200000"`, gatepay-api.md §7.3); 18 covers every
 * common token precision.
 */
export const MAX_AMOUNT_DECIMALS = 18;

const SCALE = BigInt(MAX_AMOUNT_DECIMALS);
const ONE = 10n ** SCALE;

/** Any amount this module reads: an optional minus sign, then up to 18 decimals. */
const GENERAL_PATTERN = /^(-?)(0|[1-9]\d*)(?:\.(\d{1,18}))?$/;
const TOO_MANY_DECIMALS = /^(0|[1-9]\d*)\.\d{7,}$/;
const MAX_ECHO_CHARS = 40;

const MIN_REFUND_MICROS = 100; // MIN_REFUND_AMOUNT in 10^-6 units
const MAX_REFUND_MICROS = 5_000_000 * 1e6; // MAX_REFUND_AMOUNT in 10^-6 units

/** Result of {@link checkRefundAmount}. */
export type AmountCheck = { ok: true; value: string } | { ok: false; reason: string };

/**
 * Checks a refund amount before it is sent to GatePay: canonical form
 * ({@link AMOUNT_PATTERN}), at most 6 decimals, at least 0.0001 and at most 5,000,000
 * (gatepay-api.md §4.1). On success `value` is the input unchanged: it already is in
 * canonical request form, and the exact string the caller gave is what gets signed and
 * sent. Compare amounts with {@link compareAmounts}, not with `===` ("10" equals "10.00").
 */
export function checkRefundAmount(s: string): AmountCheck {
  if (typeof s !== "string" || !AMOUNT_PATTERN.test(s)) {
    if (typeof s === "string" && TOO_MANY_DECIMALS.test(s)) {
      return { ok: false, reason: `has more than ${MAX_REQUEST_DECIMALS} decimal places` };
    }
    return { ok: false, reason: 'must be a decimal string like "12.50"' };
  }
  // In canonical form with at most 6 decimals, an amount of at most 7 integer digits is
  // an exact integer count of micro-units as a double (< 2^53): no BigInt needed.
  const dot = s.indexOf(".");
  const whole = dot === -1 ? s : s.slice(0, dot);
  if (whole.length > MAX_REFUND_AMOUNT.length) {
    return { ok: false, reason: `must be at most ${MAX_REFUND_AMOUNT}` };
  }
  const micros = Number(whole) * 1e6 + (dot === -1 ? 0 : Number(s.slice(dot + 1).padEnd(6, "0")));
  if (micros < MIN_REFUND_MICROS) {
    return { ok: false, reason: `must be at least ${MIN_REFUND_AMOUNT}` };
  }
  if (micros > MAX_REFUND_MICROS) {
    return { ok: false, reason: `must be at most ${MAX_REFUND_AMOUNT}` };
  }
  return { ok: true, value: s };
}

/** True when `s` is an amount this module can read (see {@link normalizeAmount}). */
export function isAmount(s: unknown): s is string {
  return typeof s === "string" && GENERAL_PATTERN.test(s);
}

/**
 * The canonical form of an amount: no trailing zeros after the dot, no dot when the
 * fraction is zero, `"0"` for zero (never `"-0"`). Accepts an optional leading `-` and up
 * to 18 decimals, so it reads response echoes such as `"0.01200000"` → `"0.012"`;
 * `"10.00"` → `"10"`. Idempotent.
 *
 * @throws RangeError when `s` is not such a decimal string.
 */
export function normalizeAmount(s: string): string {
  const m = typeof s === "string" ? GENERAL_PATTERN.exec(s) : null;
  if (!m) return unitsToAmount(parseScaled(s), MAX_AMOUNT_DECIMALS); // throws the error
  // The pattern allows no leading zeros: only the fraction's trailing zeros go.
  const [, sign, whole = "0", fraction = ""] = m;
  let end = fraction.length;
  while (end > 0 && fraction.charCodeAt(end - 1) === 48) end -= 1;
  const body = end === 0 ? whole : `${whole}.${fraction.slice(0, end)}`;
  return sign === "-" && body !== "0" ? `-${body}` : body;
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b` (numerically). */
export function compareAmounts(a: string, b: string): -1 | 0 | 1 {
  const x = parseScaled(a);
  const y = parseScaled(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `a + b`, exact and normalized. */
export function addAmounts(a: string, b: string): string {
  return formatScaled(parseScaled(a) + parseScaled(b));
}

/** `a - b`, exact and normalized; negative results carry a leading `-` (`"-1.5"`). */
export function subtractAmounts(a: string, b: string): string {
  return formatScaled(parseScaled(a) - parseScaled(b));
}

/** The exact sum of `amounts`, normalized; `"0"` for an empty list. */
export function sumAmounts(amounts: Iterable<string>): string {
  let total = 0n;
  for (const a of amounts) total += parseScaled(a);
  return formatScaled(total);
}

/** True when `a` is numerically zero (`"0"`, `"0.000"`, `"-0"`). */
export function isZeroAmount(a: string): boolean {
  return parseScaled(a) === 0n;
}

/**
 * `a` as an integer count of `10^-scale` units: `amountToUnits("12.5", 6)` → `12500000n`.
 * Useful where integers must cross a boundary (e.g. a Redis counter).
 *
 * @param scale decimal places per unit, an integer from 0 to 18.
 * @throws RangeError when `a` is invalid or has more significant decimals than `scale`
 *   (converting would lose precision).
 */
export function amountToUnits(a: string, scale: number): bigint {
  const shift = checkScale(scale);
  const m = typeof a === "string" ? GENERAL_PATTERN.exec(a) : null;
  if (m && (m[3] ?? "").length <= scale) {
    // No decimals beyond the scale: the digits are the units (one BigInt, no division).
    const units = BigInt((m[2] ?? "0") + (m[3] ?? "").padEnd(scale, "0"));
    return m[1] === "-" ? -units : units;
  }
  const scaled = parseScaled(a);
  const divisor = 10n ** (SCALE - shift);
  if (scaled % divisor !== 0n) {
    throw new RangeError(`amount ${echo(a)} has more than ${scale} significant decimal places`);
  }
  return scaled / divisor;
}

/**
 * The normalized amount of `units` counted in `10^-scale`: `unitsToAmount(12500000n, 6)`
 * → `"12.5"`. Inverse of {@link amountToUnits}.
 *
 * @param scale decimal places per unit, an integer from 0 to 18.
 */
export function unitsToAmount(units: bigint, scale: number): string {
  const shift = checkScale(scale);
  return formatScaled(units * 10n ** (SCALE - shift));
}

function checkScale(scale: number): bigint {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_AMOUNT_DECIMALS) {
    throw new RangeError(
      `scale must be an integer from 0 to ${MAX_AMOUNT_DECIMALS} (got ${String(scale)})`,
    );
  }
  return BigInt(scale);
}

/** Parses an amount into an integer count of 10^-18 units. */
function parseScaled(s: string): bigint {
  const m = typeof s === "string" ? GENERAL_PATTERN.exec(s) : null;
  if (!m) {
    throw new RangeError(
      `invalid amount ${echo(s)}: must be a decimal string like "12.50" with at most ${MAX_AMOUNT_DECIMALS} decimal places`,
    );
  }
  const [, sign, whole = "0", fraction = ""] = m;
  const magnitude = BigInt(whole) * ONE + BigInt(fraction.padEnd(MAX_AMOUNT_DECIMALS, "0"));
  return sign === "-" ? -magnitude : magnitude;
}

/** Formats an integer count of 10^-18 units in canonical form. */
function formatScaled(units: bigint): string {
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const whole = (magnitude / ONE).toString();
  const fraction = (magnitude % ONE)
    .toString()
    .padStart(MAX_AMOUNT_DECIMALS, "0")
    .replace(/0+$/, "");
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative ? `-${body}` : body;
}

function echo(s: unknown): string {
  if (typeof s !== "string") return `(${typeof s})`;
  return JSON.stringify(s.length > MAX_ECHO_CHARS ? `${s.slice(0, MAX_ECHO_CHARS)}…` : s);
}
