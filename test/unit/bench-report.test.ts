/**
 * The bench report's verdicts and ratios (bench/report-format.ts, bench/report-scale.ts,
 * bench/report-durability.ts): pure functions over results, no Redis.
 */
import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "../../bench/lifecycle.js";
import { DURABILITY_LABELS } from "../../bench/durability.js";
import { barrierOnRatios } from "../../bench/report-durability.js";
import { verdict } from "../../bench/report-format.js";
import { vsBare, vsOneProcess } from "../../bench/report-scale.js";
import { scaleLabel } from "../../bench/scale.js";

function scenario(label: string, latencyMs: number, refundsPerSecond: number): ScenarioResult {
  return {
    mode: label.startsWith("bare") ? "baseline" : "pipeline",
    label,
    latencyMs,
    concurrency: 50,
    rounds: [],
    refundsPerSecond,
    cpuMsPerRefund: 1,
    eventLoopUtilization: 0.5,
  };
}

describe("verdict", () => {
  it("says met at or beyond the target, and by how much it is short otherwise", () => {
    expect(verdict(0.8, 0.8, true)).toBe("met");
    expect(verdict(0.55, 0.8, true)).toBe("**short** by 0.25×");
    expect(verdict(1.3, 1.3, false)).toBe("met");
    expect(verdict(1.45, 1.3, false, (n) => n.toFixed(3))).toBe("**short** by 0.150");
    expect(verdict(NaN, 0.8, true)).toBe("–");
    expect(verdict(undefined, 0.8, true)).toBe("–");
  });
});

describe("scale ratios", () => {
  const s = [
    scenario(scaleLabel("bare", 1), 0, 400),
    scenario(scaleLabel("bare", 2), 0, 600),
    scenario(scaleLabel("pipeline", 1, 4), 0, 200),
    scenario(scaleLabel("pipeline", 2, 4), 0, 450),
    scenario(scaleLabel("bare", 2), 50, 100),
  ];
  it("compares a pipeline with the bare baseline of the same processes and latency", () => {
    expect(vsBare(s, s[2]!)).toBe(0.5);
    expect(vsBare(s, s[3]!)).toBe(0.75);
  });
  it("compares 2 processes with 1 of the same system and shards", () => {
    expect(vsOneProcess(s, s[3]!)).toBe(2.25);
    expect(vsOneProcess(s, s[1]!)).toBe(1.5);
    expect(vsOneProcess(s, s[4]!)).toBeNaN();
  });
});

describe("barrier on", () => {
  it("divides each barrier mode by the bare baseline on its own server", () => {
    const L = DURABILITY_LABELS;
    const s = [
      scenario(L.bareAof, 0, 500),
      scenario(L.aof, 0, 400),
      scenario(L.bareReplica, 0, 800),
      scenario(L.replica, 0, 200),
    ];
    expect(barrierOnRatios(s)).toEqual([
      { mode: "aof", latencyMs: 0, ratio: 0.8 },
      { mode: "replica", latencyMs: 0, ratio: 0.25 },
    ]);
  });
});
