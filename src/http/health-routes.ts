/**
 * `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: Redis
 * answers on every connection this process relies on, and its workers, if any, run).
 */
import type { IRedisClient } from "bullmq";
import type { FastifyInstance } from "fastify";
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

/** Registers `/healthz` and `/readyz` (no token: load balancers call them). */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get("/healthz", (_request, reply) => reply.send({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const workers = deps.workers
      ? deps.workers.isRunning()
        ? "running"
        : "stopped"
      : "not-started";
    // The API's connection, and the workers' own while they run (closed ones stay closed).
    const pings = [ping(deps.producer.queues.submit.backend.client, deps.readyTimeoutMs)];
    if (deps.workers && workers === "running") {
      pings.push(ping(deps.workers.context.queues.submit.backend.client, deps.readyTimeoutMs));
    }
    const redisOk = (await Promise.all(pings)).every(Boolean);
    const ready = redisOk && workers !== "stopped";
    // The durability mode in force (README "Durability"): the workers' when they run.
    const durability =
      deps.workers?.durability.effective ??
      (await withTimeout(deps.producer.ready(), deps.readyTimeoutMs, "no answer").catch(
        () => "unknown" as const,
      ));
    return reply.code(ready ? 200 : 503).send({
      status: ready ? "ready" : "not-ready",
      checks: { redis: redisOk ? "ok" : "unreachable", workers, durability },
    });
  });
}

/**
 * One round trip on a BullMQ connection within `timeoutMs`; false on error or timeout.
 * BullMQ 6 types its client without PING; the ioredis client beneath has it.
 */
async function ping(client: Promise<IRedisClient>, timeoutMs: number): Promise<boolean> {
  const answer = client.then(async (c) => {
    const withPing = c as IRedisClient & { ping?: () => Promise<string> };
    if (typeof withPing.ping === "function") return (await withPing.ping()) === "PONG";
    await c.get("readyz");
    return true;
  });
  return withTimeout(answer, timeoutMs, "no answer").catch(() => false);
}
