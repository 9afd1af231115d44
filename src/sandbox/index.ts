/**
 * The GatePay sandbox: a local simulator of the refund API for tests, demos and
 * benchmarks. Start one with {@link startSandbox}.
 */
export { startSandbox } from "./start-sandbox.js";
export type { Sandbox, SandboxFaults } from "./start-sandbox.js";
export type { FaultCounts, SandboxCounters } from "./counters.js";
export type { SettleNowOptions } from "./settlement.js";
export { SANDBOX_DEFAULTS } from "./options.js";
export type { ResolvedSettings, SandboxOptions, SandboxSettings } from "./options.js";
export { DUPLICATE_MODES, SandboxLedger } from "./ledger.js";
export type {
  DuplicateMode,
  LedgerOrder,
  LedgerRefund,
  RefundStatus,
  Settlement,
} from "./ledger.js";
export type { OrderKind, SeedOrder } from "./seed-order.js";
export { MAX_REFUND_REASON_LENGTH, MAX_REFUND_REQUEST_ID_LENGTH } from "./create-request.js";
export { DEFAULT_SLOW_AFTER_MS, FAULT_ACTIONS, SANDBOX_OPERATIONS } from "./faults.js";
export type { FaultAction, FaultConfig, FaultSpec, SandboxOperation } from "./faults.js";
export { COMPRESSED_WEBHOOK_SCHEDULE_MS, GATEPAY_WEBHOOK_SCHEDULE_MS } from "./webhooks.js";
export type {
  WebhookBizStatus,
  WebhookCounters,
  WebhookDelivery,
  WebhookOptions,
  WebhookSchedule,
} from "./webhooks.js";
export type { AuthFailureKind } from "./auth.js";
