/** `GET /metrics`: the Prometheus text of the metrics registry (src/worker/metrics.ts). */
import type { FastifyInstance } from "fastify";
import type { RefundMetrics } from "../worker/metrics.js";
import type { RequestGuard } from "./token-guard.js";

/**
 * Registers `GET /metrics`, behind `requireToken` when given (bearer `METRICS_TOKEN`);
 * open otherwise.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: RefundMetrics,
  requireToken?: RequestGuard,
): void {
  app.get("/metrics", { ...(requireToken && { onRequest: requireToken }) }, async (_r, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
}
