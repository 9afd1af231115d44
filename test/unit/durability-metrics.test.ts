/**
 * The worker's durability metrics over shards (QUEUE_SHARDS): registered once, a mode,
 * replica count and AOF flag per shard, withheld sends and barrier rounds summed.
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  attachDurabilityMetrics,
  type DurabilitySource,
} from "../../src/worker/durability-metrics.js";
import { sampleValue } from "../helpers/prometheus.js";

function source(over: Partial<DurabilitySource>): DurabilitySource {
  return {
    effective: "replica",
    posture: { connectedReplicas: 1, aofEnabled: false },
    sendsWithheld: 0,
    barrierRounds: 0,
    ...over,
  };
}

describe("attachDurabilityMetrics", () => {
  it("reports each shard's mode and posture and sums the counts over the shards", async () => {
    const registry = new Registry();
    const shard0 = source({ sendsWithheld: 2, barrierRounds: 10 });
    const shard1 = {
      ...source({ effective: "replica+aof", barrierRounds: 5 }),
      posture: { connectedReplicas: 2, aofEnabled: true },
    };
    const sources = [shard0, shard1];
    attachDurabilityMetrics(registry, sources);
    let text = await registry.metrics();
    const mode = (m: string, shard: string) =>
      sampleValue(text, "gatepay_refunds_durability_mode", { mode: m, shard });
    expect([mode("replica", "0"), mode("none", "0"), mode("replica+aof", "0")]).toEqual([1, 0, 0]);
    expect([mode("replica+aof", "1"), mode("replica", "1")]).toEqual([1, 0]);
    expect(sampleValue(text, "gatepay_refunds_redis_replicas", { shard: "0" })).toBe(1);
    expect(sampleValue(text, "gatepay_refunds_redis_replicas", { shard: "1" })).toBe(2);
    expect(sampleValue(text, "gatepay_refunds_redis_aof_enabled", { shard: "0" })).toBe(0);
    expect(sampleValue(text, "gatepay_refunds_redis_aof_enabled", { shard: "1" })).toBe(1);
    expect(sampleValue(text, "gatepay_refunds_sends_withheld_total")).toBe(2);
    expect(sampleValue(text, "gatepay_refunds_durability_barriers_total")).toBe(15);

    sources[1] = { ...shard1, sendsWithheld: 3, barrierRounds: 7 };
    text = await registry.metrics();
    expect(sampleValue(text, "gatepay_refunds_sends_withheld_total")).toBe(5);
    expect(sampleValue(text, "gatepay_refunds_durability_barriers_total")).toBe(17);
  });
});
