/**
 * Parsers for numeric command-line options. Each throws commander's
 * `InvalidArgumentError`, so a bad value is a usage error (exit 2) naming the option.
 * These are counts, delays and probabilities, never money: amounts stay strings.
 */
import { InvalidArgumentError } from "commander";

/** An integer from `min` to `max`, written as plain digits (a leading `-` if `min < 0`). */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A probability from 0 to 1, e.g. `0.25`. */
export function ratioOption(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("must be a ratio from 0 to 1");
  return n;
}

/** An absolute http(s) URL. */
export function httpUrlOption(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new InvalidArgumentError("must be an absolute http:// or https:// URL");
  }
  return value;
}
