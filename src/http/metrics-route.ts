/** `GET /metrics`: the Prometheus text of the metrics registry (src/worker/metrics.ts). */
import type { FastifyInstance } from "fastify";
import type { RefundMetrics } from "../worker/metrics.js";

/** Registers `GET /metrics` (no token). */
export function registerMetricsRoute(app: FastifyInstance, metrics: RefundMetrics): void {
  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
}
