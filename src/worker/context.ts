/**
 * What the processors share: the store, the queues, the GatePay client, the limiter,
 * the logger and the settings. Built once per process by start-workers.ts.
 */
import type { AttentionCode } from "../domain/attention.js";
import type { GatePayClient } from "../gatepay/client.js";
import type { Logger } from "../logger.js";
import type { RefundQueues } from "../jobs/refund-queues.js";
import type { RefundStore } from "../store/refund-store.js";
import type { RateLimiter } from "./rate-limiter.js";

export interface RefundSettings {
  /** Submit attempts (POSTs or lookups) before `dead`. */
  submitMaxAttempts: number;
  /** GatePay HTTP timeout per request, ms. */
  timeoutMs: number;
  /**
   * Extra time a submit lease outlives the request timeout, ms. While a lease is held no
   * other worker looks the refund up or re-sends it.
   */
  leaseMarginMs: number;
  /**
   * The submit lease, ms: derived from the recovery-time objective by start-workers.ts
   * (src/worker/recovery-time.ts); unset = `timeoutMs + leaseMarginMs`. A send under it
   * must not start later than its end minus `leaseMarginMs`.
   */
  leaseMs?: number | undefined;
  /**
   * After a POST whose outcome is unknown, how long to wait before a "not found" from
   * GatePay's details endpoint is believed, ms. GatePay's details may lag behind creation
   * (gatepay-api.md §6.5), and a re-send on a lagging "not found" pays twice.
   */
  unknownOutcomeGraceMs: number;
  backoff: { baseMs: number; capMs: number };
  poll: { firstDelayMs: number; maxDelayMs: number; deadlineMs: number };
  /**
   * Longest wait a server's `Retry-After` may impose on a submit retry, ms (longer values
   * are capped and counted). Default `poll.maxDelayMs` (POLL_MAX_DELAY_MS).
   */
  retryAfterMaxMs?: number;
}

/**
 * The durability barrier as the processors see it (src/store/durability.ts): a ticket
 * before a write, then `barrier(ticket)` before anything irreversible relies on it.
 */
export interface DurabilityGate {
  /** The mode in force (`none`, `replica`, `aof`, `replica+aof`). */
  readonly effective: string;
  /**
   * The Redis server's epoch (`run_id:replid`) as last read by the monitor, or undefined
   * when unknown. Not for pairing with a time: the submit processor reads the epoch with
   * the time, in one script (`store.getWithClock()` / `store.sharedClock()`,
   * src/domain/grace-clock.ts).
   */
  readonly epoch: string | undefined;
  ticket(): number;
  /** Throws `DurabilityTimeoutError` when the write is not confirmed durable in time. */
  barrier(ticket?: number): Promise<void>;
}

/** For contexts that never send a refund (the webhook receiver): no barrier to run. */
export const NO_DURABILITY_GATE: DurabilityGate = {
  effective: "none",
  epoch: undefined,
  ticket: () => 0,
  barrier: () => Promise.resolve(),
};

export interface RefundContext {
  store: RefundStore;
  queues: RefundQueues;
  client: GatePayClient;
  limiter: RateLimiter;
  /** Runs before a POST leaves: the `submitting` intent must survive a failover. */
  durability: DurabilityGate;
  /** Counts a send withheld because the barrier did not hold (metrics); optional. */
  onSendWithheld?: () => void;
  logger: Logger;
  settings: RefundSettings;
  /** Identifies this process in submit leases. */
  workerId: string;
  now: () => number;
  random: () => number;
  /** Counts a contradiction noted on a terminal record (metric `gatepay_refunds_attention_total`). */
  observeAttention?: (code: AttentionCode) => void;
}
