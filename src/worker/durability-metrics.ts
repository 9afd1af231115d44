/**
 * The durability metrics of a worker process, read from its monitor at each scrape:
 * - `gatepay_refunds_durability_mode{mode}`: 1 for the mode in force (`none`, `replica`,
 *   `aof`, `replica+aof`), 0 for the others;
 * - `gatepay_refunds_sends_withheld_total`: POSTs not sent because the barrier over the
 *   submit intent did not hold (the job was deferred; nothing left);
 * - `gatepay_refunds_durability_barriers_total`: barrier rounds run (one covers many writes).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { EffectiveDurability } from "../domain/durability.js";

/** What the metrics read (a DurabilityMonitor). */
export interface DurabilitySource {
  readonly effective: EffectiveDurability;
  readonly sendsWithheld: number;
  readonly barrierRounds: number;
}

const MODES: readonly EffectiveDurability[] = ["none", "replica", "aof", "replica+aof"];

export const DURABILITY_METRIC_NAMES = {
  mode: "gatepay_refunds_durability_mode",
  sendsWithheld: "gatepay_refunds_sends_withheld_total",
  barriers: "gatepay_refunds_durability_barriers_total",
} as const;

/** A counter that follows a monotonic count kept elsewhere. */
function followingCounter(registry: Registry, name: string, help: string, read: () => number) {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}

/** Registers the durability metrics of `source` on `registry`. */
export function attachDurabilityMetrics(registry: Registry, source: DurabilitySource): void {
  new Gauge({
    name: DURABILITY_METRIC_NAMES.mode,
    help: "Durability mode in force (REDIS_DURABILITY, auto resolved): 1 for the current mode",
    labelNames: ["mode"],
    registers: [registry],
    collect() {
      for (const mode of MODES) this.set({ mode }, source.effective === mode ? 1 : 0);
    },
  });
  followingCounter(
    registry,
    DURABILITY_METRIC_NAMES.sendsWithheld,
    "Refund POSTs withheld because the durability barrier over the submit intent did not hold",
    () => source.sendsWithheld,
  );
  followingCounter(
    registry,
    DURABILITY_METRIC_NAMES.barriers,
    "Durability barrier rounds (WAIT/WAITAOF) run; one round covers every write before it",
    () => source.barrierRounds,
  );
}
