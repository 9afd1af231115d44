import { describe, expect, it } from "vitest";
import { FaultInjector, validateFaultConfig, type FaultAction } from "../../src/sandbox/faults.js";
import { deriveStream, mulberry32 } from "../../src/sandbox/random.js";

const draw = (f: FaultInjector, n: number, op: "orderRefund" | "refundDetails" = "orderRefund") =>
  Array.from({ length: n }, () => f.decide(op).action);

describe("seeded random streams", () => {
  it("repeat for the same seed, differ for another, stay in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });

  it("derives independent streams per purpose", () => {
    const a = deriveStream(7, "faults:orderRefund");
    const b = deriveStream(7, "faults:refundDetails");
    expect([a(), a(), a()]).not.toEqual([b(), b(), b()]);
  });
});

describe("FaultInjector", () => {
  it("gives the same fault sequence for the same seed and a different one for another", () => {
    const config = { orderRefund: { http500: 0.2, dropAfter: 0.2, slowAfter: 0.1 } };
    const one = draw(new FaultInjector(9, config), 200);
    expect(draw(new FaultInjector(9, config), 200)).toEqual(one);
    expect(draw(new FaultInjector(10, config), 200)).not.toEqual(one);
  });

  it("is unaffected by calls to other operations", () => {
    const config = { default: { http500: 0.5 } };
    const plain = new FaultInjector(3, config);
    const mixed = new FaultInjector(3, config);
    const a: FaultAction[] = [];
    const b: FaultAction[] = [];
    for (let i = 0; i < 50; i++) {
      a.push(plain.decide("orderRefund").action);
      mixed.decide("refundDetails");
      b.push(mixed.decide("orderRefund").action);
    }
    expect(b).toEqual(a);
  });

  it("hits each band at roughly its ratio", () => {
    const f = new FaultInjector(1, {
      default: { http500: 0.1, http429: 0.1, dropBefore: 0.1, dropAfter: 0.1, slowAfter: 0.1 },
    });
    const counts = new Map<FaultAction, number>();
    for (const a of draw(f, 10_000)) counts.set(a, (counts.get(a) ?? 0) + 1);
    for (const a of ["http500", "http429", "dropBefore", "dropAfter", "slowAfter"] as const) {
      expect(counts.get(a)).toBeGreaterThan(850);
      expect(counts.get(a)).toBeLessThan(1150);
    }
    expect(counts.get("none")).toBeGreaterThan(4700);
  });

  it("lets an operation's spec override the default field by field", () => {
    const f = new FaultInjector(1, {
      default: { latencyMs: 5, http500: 1 },
      refundDetails: { http500: 0, detailsLagMs: 300 },
    });
    expect(f.decide("orderRefund")).toMatchObject({ action: "http500", latencyMs: 5 });
    expect(f.decide("refundDetails")).toMatchObject({ action: "none", latencyMs: 5 });
    expect(f.detailsLagMs("refundDetails")).toBe(300);
    expect(f.detailsLagMs("orderRefund")).toBe(0);
  });

  it("plays scripts first, in order, then falls back to ratios", () => {
    const f = new FaultInjector(1);
    f.script("orderRefund", ["http500", "dropAfter"]);
    f.script("orderRefund", ["slowAfter"]);
    expect(f.scripted()).toEqual({ orderRefund: ["http500", "dropAfter", "slowAfter"] });
    expect(draw(f, 4)).toEqual(["http500", "dropAfter", "slowAfter", "none"]);
    expect(f.decide("refundDetails").scripted).toBe(false);
    f.script("refundDetails", ["http429"]);
    f.clear();
    expect(f.decide("refundDetails").action).toBe("none");
  });

  it("keeps jitter within bounds and repeatable", () => {
    const config = { default: { latencyMs: 10, latencyJitterMs: 20 } };
    const a = new FaultInjector(5, config);
    const b = new FaultInjector(5, config);
    const la = Array.from({ length: 100 }, () => a.decide("orderRefund").latencyMs);
    expect(Array.from({ length: 100 }, () => b.decide("orderRefund").latencyMs)).toEqual(la);
    expect(la.every((l) => l >= 10 && l < 30)).toBe(true);
  });

  it("reseed() restarts the streams", () => {
    const f = new FaultInjector(11, { default: { http500: 0.5 } });
    const first = draw(f, 30);
    f.reseed();
    expect(draw(f, 30)).toEqual(first);
  });

  it("rejects invalid configurations with the field named", () => {
    expect(() => validateFaultConfig({ orderRefund: { http500: 1.5 } })).toThrow(
      /orderRefund.http500/,
    );
    expect(() => validateFaultConfig({ orderRefund: { http500: 0.6, http429: 0.6 } })).toThrow(
      /more than 1/,
    );
    expect(() => validateFaultConfig({ nope: {} })).toThrow(/unknown operation/);
    expect(() => validateFaultConfig({ default: { latencyMs: -1 } })).toThrow(/latencyMs/);
    expect(() => validateFaultConfig({ default: { typo: 1 } })).toThrow(/unknown fault/);
    expect(() => new FaultInjector(1).script("orderRefund", ["boom" as FaultAction])).toThrow(
      /boom/,
    );
  });
});
