/**
 * The durability metrics of a worker process, read from its monitors (one per shard,
 * QUEUE_SHARDS) at each scrape, registered once per process:
 * - `gatepay_refunds_durability_mode{mode,shard}`: 1 for the mode in force on the shard's
 *   barrier (`none`, `replica`, `aof`, `replica+aof`), 0 for the others;
 * - `gatepay_refunds_redis_replicas{shard}`: replicas connected to the server holding the
 *   shard, as the posture check last read them (INFO replication `connected_slaves`);
 * - `gatepay_refunds_redis_aof_enabled{shard}`: 1 when that server's AOF is on, else 0;
 * - `gatepay_refunds_sends_withheld_total`: POSTs not sent because the barrier over the
 *   submit intent did not hold (the job was deferred; nothing left), over every shard;
 * - `gatepay_refunds_durability_barriers_total`: barrier rounds run (one covers many
 *   writes), over every shard.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { EffectiveDurability, ServerPosture } from "../domain/durability.js";

/** What the metrics read (a DurabilityMonitor). */
export interface DurabilitySource {
  readonly effective: EffectiveDurability;
  readonly posture: Pick<ServerPosture, "connectedReplicas" | "aofEnabled">;
  readonly sendsWithheld: number;
  readonly barrierRounds: number;
}

const MODES: readonly EffectiveDurability[] = ["none", "replica", "aof", "replica+aof"];

export const DURABILITY_METRIC_NAMES = {
  mode: "gatepay_refunds_durability_mode",
  replicas: "gatepay_refunds_redis_replicas",
  aofEnabled: "gatepay_refunds_redis_aof_enabled",
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

/** A gauge with one sample per shard, read from each shard's source at each scrape. */
function shardGauge(
  registry: Registry,
  sources: readonly DurabilitySource[],
  name: string,
  help: string,
  read: (source: DurabilitySource) => number,
) {
  return new Gauge({
    name,
    help,
    labelNames: ["shard"],
    registers: [registry],
    collect() {
      sources.forEach((source, shard) => this.set({ shard: String(shard) }, read(source)));
    },
  });
}

/**
 * Registers the durability metrics of `sources` (the monitors of shards 0, 1, …) on
 * `registry`. Call once per registry: a second call throws (prom-client refuses a name
 * registered twice).
 */
export function attachDurabilityMetrics(
  registry: Registry,
  sources: readonly DurabilitySource[],
): void {
  new Gauge({
    name: DURABILITY_METRIC_NAMES.mode,
    help: "Durability mode in force on each shard's barrier (REDIS_DURABILITY, auto resolved): 1 for the current mode",
    labelNames: ["mode", "shard"],
    registers: [registry],
    collect() {
      sources.forEach((source, i) => {
        const shard = String(i);
        for (const mode of MODES) this.set({ mode, shard }, source.effective === mode ? 1 : 0);
      });
    },
  });
  shardGauge(
    registry,
    sources,
    DURABILITY_METRIC_NAMES.replicas,
    "Replicas connected to the Redis master holding each shard, as the durability posture check last read them",
    (s) => s.posture.connectedReplicas,
  );
  shardGauge(
    registry,
    sources,
    DURABILITY_METRIC_NAMES.aofEnabled,
    "1 when the AOF is on on the Redis master holding each shard (durability posture check), else 0",
    (s) => (s.posture.aofEnabled ? 1 : 0),
  );
  const sum = (read: (s: DurabilitySource) => number) => () =>
    sources.reduce((n, s) => n + read(s), 0);
  followingCounter(
    registry,
    DURABILITY_METRIC_NAMES.sendsWithheld,
    "Refund POSTs withheld because the durability barrier over the submit intent did not hold",
    sum((s) => s.sendsWithheld),
  );
  followingCounter(
    registry,
    DURABILITY_METRIC_NAMES.barriers,
    "Durability barrier rounds (WAIT/WAITAOF) run; one round covers every write before it",
    sum((s) => s.barrierRounds),
  );
}
