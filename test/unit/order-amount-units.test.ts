import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeAmount } from "../../src/domain/amount.js";
import { orderAmountUnits } from "../../src/store/record-codec.js";

/** The normalize-then-split reading orderAmountUnits always did (the reference). */
function reference(amount: string): bigint {
  const [whole = "0", frac = ""] = normalizeAmount(amount).split(".");
  return BigInt(whole) * 1_000_000n + BigInt((frac + "000000").slice(0, 6));
}

const outcome = (f: () => bigint) => {
  try {
    return { units: f() };
  } catch (err) {
    return { threw: (err as Error).message };
  }
};

describe("orderAmountUnits", () => {
  it("floors to micro-units as the normalizing reading does, on any amount text", () => {
    const digits = fc.stringMatching(/^\d{1,12}$/);
    const amounts = fc.oneof(
      fc
        .tuple(digits, fc.option(fc.stringMatching(/^\d{1,20}$/)))
        .map(([w, f]) => (f === null ? w : `${w}.${f}`)),
      fc.tuple(fc.constantFrom("", "-", "+", " "), digits).map(([s, w]) => `${s}${w}`),
      fc.constantFrom("0", "0.0", "0.000000", "10.50", "1.1234567", "-5.2", "-0", "1e3", "", "."),
      fc.string(),
    );
    fc.assert(
      fc.property(amounts, (a) => {
        expect(outcome(() => orderAmountUnits(a))).toEqual(outcome(() => reference(a)));
      }),
      { numRuns: 3000 },
    );
    expect(orderAmountUnits("10.50")).toBe(10_500_000n);
    expect(orderAmountUnits("0.0000019")).toBe(1n);
  });
});
