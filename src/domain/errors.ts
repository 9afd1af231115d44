/**
 * Producer-side errors. Each carries a stable `code` (src/domain/error-codes.ts), which the
 * CLI and the HTTP API look up for their exit code and status code (400 validation, 409
 * conflict, 422 over-refund, 404 not found).
 */
import type { ErrorCode } from "./error-codes.js";
import type { RefundRecord } from "./refund-record.js";

/** One problem with one field of the input. `path` is dotted (`refundAmount`, `rows.3.prepayId`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * An error with a stable {@link ErrorCode}. The shells map every one through `ERROR_CODES`
 * with this single check, so a new typed error needs a table row, not a case in each shell.
 */
export abstract class CodedError extends Error {
  /** The stable code: a key of `ERROR_CODES`. */
  abstract readonly code: ErrorCode;
  /** The problems by field, when the error is about fields of the input. */
  declare readonly issues?: readonly FieldIssue[];
  /** The refund record the refusal was stored as, when it was stored (an over-refund). */
  declare readonly record?: RefundRecord;
}

/** The input is not a valid refund request. Nothing was stored or sent. */
export class ValidationError extends CodedError {
  override readonly name = "ValidationError";
  override readonly code = "VALIDATION_ERROR";
  override readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "));
    this.issues = issues;
  }
}

/**
 * A refund with this `refundRequestId` exists with a different request. The id is the
 * idempotency key end to end, so reusing it for another refund is refused, like Stripe's
 * idempotency-key reuse error. Nothing changed.
 */
export class IdempotencyConflictError extends CodedError {
  override readonly name = "IdempotencyConflictError";
  override readonly code = "IDEMPOTENCY_CONFLICT";
  readonly refundRequestId: string;
  readonly existing: RefundRecord;
  /** Names of the request fields that differ from the stored request. */
  readonly differingFields: readonly string[];
  /** One issue per differing field. */
  override readonly issues: readonly FieldIssue[];

  constructor(existing: RefundRecord, differingFields: readonly string[]) {
    super(
      `refundRequestId "${existing.refundRequestId}" is already used by a different refund ` +
        `(differs in: ${differingFields.join(", ")})`,
    );
    this.refundRequestId = existing.refundRequestId;
    this.existing = existing;
    this.differingFields = differingFields;
    this.issues = differingFields.map((path) => ({
      path,
      message: "differs from the stored request with this refundRequestId",
    }));
  }
}

/**
 * The refund would take the order past its amount. It is recorded as `rejected` with code
 * `OVER_REFUND` and nothing is sent to GatePay.
 */
export class OverRefundError extends CodedError {
  override readonly name = "OverRefundError";
  override readonly code = "OVER_REFUND";
  override readonly record: RefundRecord;

  constructor(record: RefundRecord) {
    super(record.lastError?.message ?? `refund ${record.refundRequestId} exceeds the order amount`);
    this.record = record;
  }
}

/** No refund record with this id. */
export class RefundNotFoundError extends CodedError {
  override readonly name = "RefundNotFoundError";
  override readonly code = "NOT_FOUND";
  constructor(readonly refundRequestId: string) {
    super(`no refund with refundRequestId "${refundRequestId}"`);
  }
}

/**
 * `QUEUE_SHARDS` is not the shard count this deployment stored when it first ran: with
 * another count, refunds of live orders would be looked for in the wrong shard, so the
 * process refuses to start (README "Scaling out").
 */
export class ShardCountMismatchError extends CodedError {
  override readonly name = "ShardCountMismatchError";
  override readonly code = "SHARD_COUNT_MISMATCH";
  constructor(
    readonly configured: number,
    readonly stored: number,
  ) {
    super(
      `QUEUE_SHARDS is ${configured} but this deployment's refunds are stored in ${stored} shard(s); ` +
        `start every process with QUEUE_SHARDS=${stored} (changing the count of a live deployment is not supported)`,
    );
  }
}
