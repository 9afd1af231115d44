/**
 * The types of the refund store's API (refund-store.ts re-exports them): its options, the
 * outcomes of a create and of a transition, and what a transition may write with it.
 */
import type { RefundAttention } from "../domain/attention.js";
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundState } from "../domain/refund-state.js";

export interface RefundStoreOptions {
  /** Approximate cap of the events stream (XADD MAXLEN ~). Default 100,000. */
  eventsMaxLen?: number;
  /**
   * How long a non-final refund may go without any write before the reconciler looks at
   * it. Default 5 minutes.
   */
  stallWindowMs?: number;
  now?: () => number;
}

export type CreateOutcome =
  | { outcome: "created"; record: RefundRecord }
  | { outcome: "existing"; record: RefundRecord }
  | { outcome: "conflict"; record: RefundRecord }
  | { outcome: "over-refund"; record: RefundRecord };

/** The job that drives a refund and when it is due (epoch ms, local clock): setDriver's notes. */
export interface RefundDriver {
  jobId: string;
  dueAtMs: number;
}

export interface TransitionOptions {
  /**
   * false: on a version race return the fresh record (`reason: "conflict"`) instead of
   * re-deciding on it. Default true.
   */
  retryOnConflict?: boolean | undefined;
  /**
   * The job that will drive the refund after the record `next` is written, or undefined
   * for none new: noted with the write itself, as setDriver would note it after. The
   * outcome's `driver` says whether it was.
   */
  driver?: ((next: RefundRecord) => RefundDriver | undefined) | undefined;
  /**
   * The order's amount (and currency) GatePay reported: stored on the order with the
   * write, as learnOrderAmount would store it after. The outcome's `orderAmountStored`
   * says whether it was; when nothing was written the caller learns it on its own.
   */
  orderAmount?: { amount: string; currency?: string | undefined } | undefined;
}

export type TransitionOutcome =
  /** `attention`: no state change; GatePay contradicted a terminal record (attention.ts). */
  | {
      applied: true;
      record: RefundRecord;
      previous: RefundRecord;
      attention?: RefundAttention;
      /** The driver noted with the write (TransitionOptions.driver). */
      driver?: RefundDriver;
      /** The order amount was stored with the write (TransitionOptions.orderAmount). */
      orderAmountStored?: true;
    }
  | { applied: false; record: RefundRecord | null; reason: string };

/** Batch counts by state, plus `total`. */
export type BatchCounts = Partial<Record<RefundState | "total", number>>;
