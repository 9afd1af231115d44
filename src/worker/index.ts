/**
 * The worker entry (`gatepay-refund-worker/worker`): the submit and poll workers, the
 * webhook receiver and the Prometheus metrics, without the HTTP server (fastify and
 * bull-board are not loaded through it; prom-client is, for the metrics).
 *
 * ```ts
 * import { loadConfig, startRefundWorkers } from "gatepay-refund-worker/worker";
 * const workers = await startRefundWorkers({ config: loadConfig(process.env) });
 * process.once("SIGTERM", () => void workers.close());
 * ```
 */
export { startRefundWorkers } from "./start-workers.js";
export type { RefundWorkers, StartRefundWorkersOptions } from "./start-workers.js";
export type { RefundSettings } from "./context.js";
export { createMetrics, METRIC_NAMES } from "./metrics.js";
export type { RefundMetrics } from "./metrics.js";
export { receiveRefundWebhook } from "./webhook-receiver.js";
export type { WebhookAnswer, WebhookRequest } from "./webhook-receiver.js";
export { loadConfig, ConfigError, CONFIG_ENV_VARS } from "../config.js";
export type { Config } from "../config.js";
export { createLogger } from "../logger.js";
export type { Logger } from "../logger.js";
export { normalizeQueuePrefix, QueuePrefixError } from "../domain/queue-prefix.js";
