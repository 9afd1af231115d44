/**
 * The two durability errors (README "Durability"): a barrier that did not hold in time
 * (retryable: nothing was sent or acknowledged on the write it guarded), and a Redis whose
 * posture a refund system must not run on (the operator's to fix; the process refuses to
 * start). Both carry a stable code (src/domain/error-codes.ts).
 */
import { CodedError } from "./errors.js";

/**
 * `WAIT`/`WAITAOF` did not confirm the write within `REDIS_DURABILITY_TIMEOUT_MS`, or the
 * connection changed under it. The write may or may not survive: a producer answers 503
 * (`Retry-After: 1`) so the caller retries the same idempotent request; a submit sends
 * nothing and defers.
 */
export class DurabilityTimeoutError extends CodedError {
  override readonly name = "DurabilityTimeoutError";
  override readonly code = "DURABILITY_TIMEOUT";
  /** The mode whose barrier did not hold. */
  readonly mode: string;
  /**
   * From a bulk enqueue: the input rows whose records this call had created before the
   * barrier failed (an over-refund's record too, `rejected` from the start). A retry of the
   * same input finds them `existing`; they are still this call's own.
   */
  readonly created: readonly { index: number; overRefund: boolean }[];
  readonly #detail: string;

  constructor(
    mode: string,
    detail: string,
    created: readonly { index: number; overRefund: boolean }[] = [],
  ) {
    super(
      `Redis did not confirm the write as durable (REDIS_DURABILITY ${mode}): ${detail}; ` +
        `retry the same request`,
    );
    this.mode = mode;
    this.#detail = detail;
    this.created = created;
  }

  /**
   * The same error for one bulk enqueue, with the rows it created (a new instance: one
   * barrier's error may reach several callers).
   */
  withCreated(created: readonly { index: number; overRefund: boolean }[]): DurabilityTimeoutError {
    return new DurabilityTimeoutError(this.mode, this.#detail, created);
  }
}

/** The Redis server cannot hold refunds safely (eviction on, or the mode asked for is missing). */
export class RedisPostureError extends CodedError {
  override readonly name = "RedisPostureError";
  override readonly code = "REDIS_POSTURE";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Redis is not fit to hold refunds: ${problems.join("; ")}`);
    this.problems = problems;
  }
}
