/**
 * gatepay-refund-worker, the library (README.md "Using the library").
 *
 * - GatePay: the signed client, the signer and the webhook verifier, schemas, errors and
 *   the failure and status classifiers; the sandbox simulator.
 * - Producer: `createRefundProducer` (`enqueue`, `enqueueBulk`, `getRefund`, `getBatch`,
 *   `replay`).
 * - Workers: `startRefundWorkers`.
 * - Config: `loadConfig`; records, states and events: the domain types.
 */
export * from "./gatepay/index.js";
export * from "./sandbox/index.js";
export { loadConfig, ConfigError, CONFIG_ENV_VARS } from "./config.js";
export type { Config } from "./config.js";
export { Secret } from "./secret.js";
export { createLogger } from "./logger.js";
export type { Logger } from "./logger.js";
export * from "./domain/amount.js";
export * from "./domain/errors.js";
export { ERROR_CODES } from "./domain/error-codes.js";
export type { ErrorCode, ErrorCodeMeaning } from "./domain/error-codes.js";
export type * from "./domain/refund-record.js";
export {
  REFUND_STATES,
  TERMINAL_STATES,
  FINAL_STATES,
  isFinalState,
  isTerminalState,
  applyRefundEvent,
} from "./domain/refund-state.js";
export type { RefundState, RefundEvent, TransitionResult } from "./domain/refund-state.js";
export {
  normalizeQueuePrefix,
  queuePrefixProblem,
  QueuePrefixError,
  MAX_QUEUE_PREFIX_CHARS,
} from "./domain/queue-prefix.js";
export { parseRefundRequest } from "./domain/refund-request.js";
export type { RefundRequestInput } from "./domain/refund-request.js";
export { createRefundProducer, producerOptionsFromConfig } from "./producer/enqueue-refund.js";
export type {
  BulkEnqueueItem,
  EnqueueOptions,
  EnqueueResult,
  RefundProducer,
  RefundProducerOptions,
} from "./producer/enqueue-refund.js";
export { startRefundWorkers } from "./worker/start-workers.js";
export type { RefundWorkers, StartRefundWorkersOptions } from "./worker/start-workers.js";
export type { RefundSettings } from "./worker/context.js";
export { RefundStore } from "./store/refund-store.js";
export type { BatchCounts } from "./store/refund-store.js";
export { refundKeys } from "./store/keys.js";
export { QUEUE_NAMES } from "./jobs/queue-names.js";
export { startHttpServer, DASHBOARD_PATH, WEBHOOK_PATH } from "./http/server.js";
export type { HttpServer, StartHttpServerOptions } from "./http/server.js";
export { createMetrics, METRIC_NAMES } from "./worker/metrics.js";
export type { RefundMetrics } from "./worker/metrics.js";
export { receiveRefundWebhook } from "./worker/webhook-receiver.js";
export {
  runBatch,
  waitForBatch,
  summarizeBatch,
  writeBatchReport,
  getBatchInfo,
  BatchRefusedError,
} from "./producer/batch/index.js";
export type {
  BatchRun,
  BatchProgress,
  BatchSummary,
  BatchInfo,
  RunBatchOptions,
  WaitForBatchOptions,
} from "./producer/batch/index.js";
export { readBatchFile, BatchFileError } from "./producer/batch/index.js";
