/**
 * The HTTP entry (`gatepay-refund-worker/http`): the server of the `worker` command (refund
 * API, GatePay webhooks, health, metrics, dashboard) for embedding in a process of your own.
 * It loads fastify, bull-board and prom-client; a backend that only enqueues refunds
 * imports `gatepay-refund-worker/producer` instead.
 */
export { startHttpServer, DASHBOARD_PATH, WEBHOOK_PATH, HTTP_BODY_LIMIT_BYTES } from "./server.js";
export type { HttpServer, StartHttpServerOptions } from "./server.js";
