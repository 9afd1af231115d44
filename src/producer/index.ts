/**
 * The producer entry (`gatepay-refund-worker/producer`): what a checkout backend needs to
 * enqueue refunds and read them back, without the HTTP server, the dashboard or the
 * metrics registry (no fastify, bull-board or prom-client is loaded through it).
 *
 * ```ts
 * import { createRefundProducer } from "gatepay-refund-worker/producer";
 * const producer = createRefundProducer({ redisUrl, prefix: "gatepay" }); // → {gatepay}
 * const { record } = await producer.enqueue({ refundRequestId, prepayId, refundAmount: "9.90" });
 * ```
 */
export { createRefundProducer, producerOptionsFromConfig } from "./enqueue-refund.js";
export type {
  BulkEnqueueItem,
  EnqueueOptions,
  EnqueueResult,
  RefundProducer,
  RefundProducerOptions,
} from "./enqueue-refund.js";
export {
  runBatch,
  waitForBatch,
  summarizeBatch,
  writeBatchReport,
  getBatchInfo,
  BatchRefusedError,
  readBatchFile,
  BatchFileError,
} from "./batch/index.js";
export type {
  BatchRun,
  BatchProgress,
  BatchSummary,
  BatchInfo,
  RunBatchOptions,
  WaitForBatchOptions,
} from "./batch/index.js";
export { loadConfig, ConfigError, CONFIG_ENV_VARS } from "../config.js";
export type { Config } from "../config.js";
export {
  normalizeQueuePrefix,
  queuePrefixProblem,
  QueuePrefixError,
  MAX_QUEUE_PREFIX_CHARS,
} from "../domain/queue-prefix.js";
export * from "../domain/amount.js";
export * from "../domain/errors.js";
export { ERROR_CODES } from "../domain/error-codes.js";
export type { ErrorCode, ErrorCodeMeaning } from "../domain/error-codes.js";
export type * from "../domain/refund-record.js";
export {
  REFUND_STATES,
  TERMINAL_STATES,
  FINAL_STATES,
  isFinalState,
  isTerminalState,
} from "../domain/refund-state.js";
export type { RefundState, RefundEvent } from "../domain/refund-state.js";
export { parseRefundRequest } from "../domain/refund-request.js";
export type { RefundRequestInput } from "../domain/refund-request.js";
export { refundKeys } from "../store/keys.js";
export type { RefundKeys } from "../store/keys.js";
export type { BatchCounts } from "../store/refund-store.js";
