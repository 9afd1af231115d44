/**
 * Producer-side errors. Typed, so the CLI and the HTTP API can map each to a clear message
 * and status code (400 validation, 409 conflict, 422 over-refund).
 */
import type { RefundRecord } from "./refund-record.js";

/** One problem with one field of the input. `path` is dotted (`refundAmount`, `rows.3.prepayId`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The input is not a valid refund request. Nothing was stored or sent. */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  readonly issues: readonly FieldIssue[];

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
export class IdempotencyConflictError extends Error {
  override readonly name = "IdempotencyConflictError";
  readonly refundRequestId: string;
  readonly existing: RefundRecord;
  /** Names of the request fields that differ from the stored request. */
  readonly differingFields: readonly string[];

  constructor(existing: RefundRecord, differingFields: readonly string[]) {
    super(
      `refundRequestId "${existing.refundRequestId}" is already used by a different refund ` +
        `(differs in: ${differingFields.join(", ")})`,
    );
    this.refundRequestId = existing.refundRequestId;
    this.existing = existing;
    this.differingFields = differingFields;
  }
}

/**
 * The refund would take the order past its amount. It is recorded as `rejected` with code
 * `OVER_REFUND` and nothing is sent to GatePay.
 */
export class OverRefundError extends Error {
  override readonly name = "OverRefundError";
  readonly record: RefundRecord;

  constructor(record: RefundRecord) {
    super(record.lastError?.message ?? `refund ${record.refundRequestId} exceeds the order amount`);
    this.record = record;
  }
}

/** No refund record with this id. */
export class RefundNotFoundError extends Error {
  override readonly name = "RefundNotFoundError";
  constructor(readonly refundRequestId: string) {
    super(`no refund with refundRequestId "${refundRequestId}"`);
  }
}
