import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AMOUNT_PATTERN,
  addAmounts,
  amountToUnits,
  checkRefundAmount,
  compareAmounts,
  isAmount,
  isZeroAmount,
  normalizeAmount,
  subtractAmounts,
  sumAmounts,
  unitsToAmount,
} from "../../src/domain/amount.js";

/** Any amount the module reads: a signed integer of units at a random scale, with optional padding zeros. */
const anyAmount = fc
  .tuple(
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 0, max: 6 }),
  )
  .map(([units, scale, pad]) => {
    const s = unitsToAmount(units, scale);
    if (pad === 0) return s;
    const [, fraction = ""] = s.split(".");
    if (fraction.length + pad > 18) return s;
    return s.includes(".") ? s + "0".repeat(pad) : `${s}.${"0".repeat(pad)}`;
  });

const nonNegativeAmount = anyAmount.map((s) => s.replace(/^-/, ""));

describe("checkRefundAmount", () => {
  it.each([
    ["12.50"],
    ["0.0001"],
    ["5000000"],
    ["5000000.000000"],
    ["1"],
    ["0.123456"],
    ["4999999.999999"],
  ])("accepts %s unchanged", (s) => {
    expect(checkRefundAmount(s)).toEqual({ ok: true, value: s });
  });

  it.each([
    [""],
    [" 1"],
    ["1 "],
    ["01"],
    ["00.5"],
    [".5"],
    ["5."],
    ["-1"],
    ["+1"],
    ["1e3"],
    ["1,5"],
    ["0x10"],
    ["１"],
    ["NaN"],
    ["Infinity"],
  ])("rejects %j as not a decimal string", (s) => {
    expect(checkRefundAmount(s)).toEqual({
      ok: false,
      reason: 'must be a decimal string like "12.50"',
    });
  });

  it("rejects a non-string at runtime", () => {
    expect(checkRefundAmount(12.5 as unknown as string)).toEqual({
      ok: false,
      reason: 'must be a decimal string like "12.50"',
    });
  });

  it.each([["0.1234567"], ["1.0000000"], ["10.12345678901234567890"]])(
    "rejects %s for its decimals",
    (s) => {
      expect(checkRefundAmount(s)).toEqual({ ok: false, reason: "has more than 6 decimal places" });
    },
  );

  it.each([["0"], ["0.0"], ["0.00009"], ["0.000099"]])("rejects %s as too small", (s) => {
    expect(checkRefundAmount(s)).toEqual({ ok: false, reason: "must be at least 0.0001" });
  });

  it.each([["5000000.000001"], ["5000001"], ["9007199254740993.123456"]])(
    "rejects %s as too large",
    (s) => {
      expect(checkRefundAmount(s)).toEqual({ ok: false, reason: "must be at most 5000000" });
    },
  );

  it("accepts exactly the pattern-matching strings within the limits", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        const result = checkRefundAmount(s);
        if (result.ok) expect(AMOUNT_PATTERN.test(s)).toBe(true);
        if (!AMOUNT_PATTERN.test(s)) expect(result.ok).toBe(false);
      }),
    );
  });

  it("agrees with exact comparison against the limits (its fast path uses doubles)", () => {
    const canonical = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.integer({ min: 0, max: 6 }))
      .map(([units, scale]) => unitsToAmount(units, scale));
    fc.assert(
      fc.property(
        fc.oneof(canonical, fc.constantFrom("0.0001", "0.00009", "5000000.000001")),
        (s) => {
          const expected =
            compareAmounts(s, "0.0001") < 0
              ? { ok: false, reason: "must be at least 0.0001" }
              : compareAmounts(s, "5000000") > 0
                ? { ok: false, reason: "must be at most 5000000" }
                : { ok: true, value: s };
          expect(checkRefundAmount(s)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("normalizeAmount", () => {
  it.each([
    ["0.01200000", "0.012"],
    ["10.00", "10"],
    ["0", "0"],
    ["0.000", "0"],
    ["-0", "0"],
    ["-0.0", "0"],
    ["-1.50", "-1.5"],
    ["12.5", "12.5"],
    ["0.000000000000000001", "0.000000000000000001"],
    ["9007199254740993.123456", "9007199254740993.123456"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeAmount(input)).toBe(expected);
  });

  it.each([[""], ["abc"], ["1e5"], [".1"], ["1."], ["01"], ["--1"], ["0.0000000000000000001"]])(
    "throws on %j",
    (s) => {
      expect(() => normalizeAmount(s)).toThrow(RangeError);
    },
  );

  it("agrees with the exact integer arithmetic (its fast path works on the digits)", () => {
    fc.assert(
      fc.property(anyAmount, (a) => {
        expect(normalizeAmount(a)).toBe(addAmounts(a, "0"));
        expect(unitsToAmount(amountToUnits(a, 18), 18)).toBe(addAmounts(a, "0"));
      }),
      { numRuns: 500 },
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(anyAmount, (a) => {
        const n = normalizeAmount(a);
        expect(normalizeAmount(n)).toBe(n);
        expect(compareAmounts(a, n)).toBe(0);
        expect(n).not.toMatch(/\.\d*0$|^-0$|^-?0\d/);
      }),
    );
  });

  it("truncates a long invalid input in the error message", () => {
    expect(() => normalizeAmount("x".repeat(1000))).toThrow(/^invalid amount "x{40}…"/);
  });
});

describe("arithmetic", () => {
  it("adds and subtracts exactly where floats cannot", () => {
    expect(addAmounts("0.1", "0.2")).toBe("0.3");
    expect(addAmounts("9007199254740993.123456", "0.000001")).toBe("9007199254740993.123457");
    expect(subtractAmounts("9007199254740993.123456", "1")).toBe("9007199254740992.123456");
    expect(subtractAmounts("1", "2.5")).toBe("-1.5");
    expect(subtractAmounts("2.50", "2.5")).toBe("0");
    expect(sumAmounts([])).toBe("0");
    expect(sumAmounts(["0.1", "0.2", "0.01200000", "-0.3"])).toBe("0.012");
  });

  it("add and subtract are inverse", () => {
    fc.assert(
      fc.property(anyAmount, anyAmount, (a, b) => {
        expect(subtractAmounts(addAmounts(a, b), b)).toBe(normalizeAmount(a));
        expect(addAmounts(subtractAmounts(a, b), b)).toBe(normalizeAmount(a));
      }),
    );
  });

  it("add is commutative and associative; sum agrees with add", () => {
    fc.assert(
      fc.property(anyAmount, anyAmount, anyAmount, (a, b, c) => {
        expect(addAmounts(a, b)).toBe(addAmounts(b, a));
        expect(addAmounts(addAmounts(a, b), c)).toBe(addAmounts(a, addAmounts(b, c)));
        expect(sumAmounts([a, b, c])).toBe(addAmounts(addAmounts(a, b), c));
      }),
    );
  });

  it("compare agrees with the sign of the difference and is antisymmetric", () => {
    fc.assert(
      fc.property(anyAmount, anyAmount, (a, b) => {
        const diff = subtractAmounts(a, b);
        const sign = isZeroAmount(diff) ? 0 : diff.startsWith("-") ? -1 : 1;
        expect(compareAmounts(a, b)).toBe(sign);
        expect(compareAmounts(b, a)).toBe(-sign);
      }),
    );
  });

  it("keeps every digit of huge values", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 2n ** 53n, max: 10n ** 40n }),
        fc.integer({ min: 1, max: 999_999 }),
        (whole, frac) => {
          const a = `${whole}.${String(frac).padStart(6, "0")}`.replace(/0+$/, "");
          expect(normalizeAmount(a)).toBe(a);
          expect(subtractAmounts(addAmounts(a, "0.000001"), a)).toBe("0.000001");
          expect(amountToUnits(a, 6)).toBe(whole * 1_000_000n + BigInt(frac));
        },
      ),
    );
  });

  it("isZeroAmount", () => {
    expect(isZeroAmount("0")).toBe(true);
    expect(isZeroAmount("0.000000")).toBe(true);
    expect(isZeroAmount("-0")).toBe(true);
    expect(isZeroAmount("0.000000000000000001")).toBe(false);
  });

  it("throws on invalid operands", () => {
    expect(() => addAmounts("1", "x")).toThrow(RangeError);
    expect(() => compareAmounts("1.5.5", "1")).toThrow(RangeError);
    expect(() => sumAmounts(["1", ""])).toThrow(RangeError);
  });
});

describe("units", () => {
  it("converts to and from integer units", () => {
    expect(amountToUnits("12.5", 6)).toBe(12_500_000n);
    expect(amountToUnits("0.01200000", 3)).toBe(12n);
    expect(amountToUnits("-1.5", 1)).toBe(-15n);
    expect(unitsToAmount(12_500_000n, 6)).toBe("12.5");
    expect(unitsToAmount(-15n, 1)).toBe("-1.5");
    expect(unitsToAmount(7n, 0)).toBe("7");
  });

  it("refuses to lose precision or use a bad scale", () => {
    expect(() => amountToUnits("0.0001", 3)).toThrow(/more than 3 significant decimal/);
    expect(() => amountToUnits("1", 19)).toThrow(RangeError);
    expect(() => unitsToAmount(1n, -1)).toThrow(RangeError);
    expect(() => unitsToAmount(1n, 1.5)).toThrow(RangeError);
  });

  it("round-trips", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat(18), (units, s) => {
        expect(amountToUnits(unitsToAmount(units, s), s)).toBe(units);
      }),
    );
  });
});

describe("isAmount", () => {
  it("matches what normalizeAmount accepts", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 10 }), nonNegativeAmount), (s) => {
        let parses = true;
        try {
          normalizeAmount(s);
        } catch {
          parses = false;
        }
        expect(isAmount(s)).toBe(parses);
      }),
    );
  });
});
