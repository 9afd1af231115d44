/**
 * `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: Redis
 * answers on every connection this process relies on, on every shard's server, and its
 * workers, if any, run).
 */
import type { IRedisClient } from "bullmq";
import type { FastifyInstance } from "fastify";
import {
  commonDurability,
  type EffectiveDurability,
  type ServerPosture,
} from "../domain/durability.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import type { RefundWorkers } from "../worker/start-workers.js";
import { withTimeout } from "../with-timeout.js";

/** What the health routes look at. */
export interface HealthDeps {
  producer: RefundProducer;
  /** The workers of this process; `undefined` when it runs none (readiness: `not-started`). */
  workers: RefundWorkers | undefined;
  /** Longest `/readyz` waits for Redis to answer PING, ms. */
  readyTimeoutMs: number;
}

/** The persistence and replication behind the mode, as `/readyz` reports them. */
export interface DurabilityPostureBody {
  /** The mode in force (`auto` resolved); the same as `checks.durability`. */
  mode: string;
  /** `REDIS_DURABILITY` as configured. */
  requested: string;
  /** `redis 7.0.15`, `valkey 8.1.1`. */
  server: string;
  aof: "on" | "off";
  /** `appendfsync` when the server lets CONFIG read it, else `unknown`. */
  appendfsync: string;
  connectedReplicas: number;
  maxmemoryPolicy: string;
}

/** One shard's server, with QUEUE_SHARDS > 1 (on a cluster, the master of its slot). */
export interface ShardReadiness extends DurabilityPostureBody {
  shard: number;
  /** `host:port` of the shard's barrier connection (its slot's master on a cluster). */
  address: string;
  redis: "ok" | "unreachable";
}

/** Registers `/healthz` and `/readyz` (no token: load balancers call them). */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get("/healthz", (_request, reply) => reply.send({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const { producer, readyTimeoutMs } = deps;
    const workers = deps.workers
      ? deps.workers.isRunning()
        ? "running"
        : "stopped"
      : "not-started";
    // The API's connection, on every shard's server (a keyed read goes to the master of the
    // key's slot on a cluster), and the workers' own while they run (closed ones stay closed).
    const producerPings = producer.shardQueues.map((q, i) =>
      answers(
        q.submit.backend.client,
        producer.shards.stores[i]!.keys.durabilityMarker,
        readyTimeoutMs,
      ),
    );
    const shardWorkers =
      deps.workers && workers === "running" ? (deps.workers.shards ?? [deps.workers]) : [];
    const workerPings = shardWorkers.map((w) =>
      answers(
        w.context.queues.submit.backend.client,
        w.store.keys.durabilityMarker,
        readyTimeoutMs,
      ),
    );
    const producerOk = await Promise.all(producerPings);
    const workerOk = await Promise.all(workerPings);
    const redisOk = [...producerOk, ...workerOk].every(Boolean);
    const ready = redisOk && workers !== "stopped";
    // The durability mode in force (README "Durability"): the workers' when they run; with
    // several shards, what every shard's barrier waits for (the weakest shard decides).
    const durability =
      (deps.workers && workersDurability(deps.workers)) ??
      (await withTimeout(producer.ready(), readyTimeoutMs, "no answer").catch(
        () => "unknown" as const,
      ));
    const checks: Record<string, unknown> = {
      redis: redisOk ? "ok" : "unreachable",
      workers,
      durability,
    };
    if (deps.workers) {
      const all = deps.workers.shards ?? [deps.workers];
      checks.durabilityPosture = postureBody(deps.workers);
      if (all.length > 1) {
        checks.shards = all.map((w, shard): ShardReadiness => ({
          shard,
          address: w.durability.barrierAddress,
          redis: (workerOk[shard] ?? true) && (producerOk[shard] ?? true) ? "ok" : "unreachable",
          ...postureBody(w),
        }));
      }
    }
    return reply.code(ready ? 200 : 503).send({
      status: ready ? "ready" : "not-ready",
      checks,
    });
  });
}

/** The mode every shard's barrier holds to (one shard: its own). */
export function workersDurability(w: RefundWorkers): EffectiveDurability {
  return commonDurability((w.shards ?? [w]).map((s) => s.durability.effective));
}

function postureBody(w: RefundWorkers): DurabilityPostureBody {
  const p: ServerPosture = w.durability.posture;
  return {
    mode: w.durability.effective,
    requested: w.durability.requested,
    server: `${p.server} ${p.version}`,
    aof: p.aofEnabled ? "on" : "off",
    appendfsync: p.appendfsync ?? "unknown",
    connectedReplicas: p.connectedReplicas,
    maxmemoryPolicy: p.maxmemoryPolicy ?? "unknown",
  };
}

/**
 * One round trip on a BullMQ connection within `timeoutMs`; false on error or timeout. A
 * read of `key` (the shard's durability marker), so on Redis Cluster it reaches the master
 * owning the shard's slot. BullMQ 6 types its client with GET.
 */
async function answers(
  client: Promise<IRedisClient>,
  key: string,
  timeoutMs: number,
): Promise<boolean> {
  const answer = client.then(async (c) => {
    await c.get(key);
    return true;
  });
  return withTimeout(answer, timeoutMs, "no answer").catch(() => false);
}
