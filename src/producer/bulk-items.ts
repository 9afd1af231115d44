/**
 * The outcome of each item of a bulk enqueue, and the validation of a chunk of items
 * (src/producer/enqueue-refund.ts).
 */
import { ValidationError, type IdempotencyConflictError } from "../domain/errors.js";
import { parseRefundRequest } from "../domain/refund-request.js";
import type { RefundRecord, RefundRequestFields } from "../domain/refund-record.js";

/** One item of `RefundProducer.enqueueBulk` (enqueue-refund.ts), in input order. */
export type BulkEnqueueItem =
  | { index: number; outcome: "created" | "existing" | "over-refund"; record: RefundRecord }
  | { index: number; outcome: "conflict"; record: RefundRecord; error: IdempotencyConflictError }
  | { index: number; outcome: "invalid"; error: ValidationError };

/**
 * The items of `inputs` at `indexes` that pass validation, with their requests; each one
 * that does not gets its `invalid` outcome in `out`.
 */
export function validChunk(
  inputs: readonly unknown[],
  indexes: readonly number[],
  out: BulkEnqueueItem[],
): { index: number; request: RefundRequestFields }[] {
  const valid: { index: number; request: RefundRequestFields }[] = [];
  for (const index of indexes) {
    try {
      valid.push({ index, request: parseRefundRequest(inputs[index]) });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      out[index] = { index, outcome: "invalid", error: err };
    }
  }
  return valid;
}
