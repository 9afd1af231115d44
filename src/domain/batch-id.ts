/** The batch id rule: `enqueue`, `enqueueBulk` and `GET /batches/:id` (`batchId`). */
import { ValidationError, type FieldIssue } from "./errors.js";

export const BATCH_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export function checkBatchId(batchId: string | undefined): string | undefined {
  if (batchId === undefined) return undefined;
  if (!BATCH_ID_PATTERN.test(batchId)) {
    const issue: FieldIssue = {
      path: "batchId",
      message: "must be 1-64 characters of letters, digits, '.', '_' or '-'",
    };
    throw new ValidationError([issue]);
  }
  return batchId;
}
