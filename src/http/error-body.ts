/**
 * The one shape of every HTTP error answer: `{ error: { code, message, issues? } }`, plus
 * the stored `record` when the refusal is one (an over-refund). Typed errors get the
 * status of their code from `ERROR_CODES` (src/domain/error-codes.ts), the table the CLI's
 * exit codes come from too; the other codes here belong to HTTP alone.
 */
import type { ErrorCode } from "../domain/error-codes.js";
import type { CodedError, FieldIssue } from "../domain/errors.js";
import type { RefundRecord } from "../domain/refund-record.js";

/** Every `error.code` the API answers with. */
export type HttpErrorCode =
  | ErrorCode
  | "UNAUTHORIZED"
  | "API_TOKEN_NOT_CONFIGURED"
  | "ADMIN_TOKEN_NOT_CONFIGURED"
  | "FORBIDDEN"
  | "NOT_REPLAYABLE"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "INVALID_JSON"
  | "BAD_REQUEST"
  | "TIMEOUT"
  | "UNAVAILABLE"
  | "INTERNAL";

/** An error answer's body. */
export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; issues?: readonly FieldIssue[] };
  /** The record a refusal was stored as (an over-refund). */
  record?: RefundRecord;
}

/** `{ error: { code, message, issues? } }`; `issues` only when given. */
export function errorBody(
  code: HttpErrorCode,
  message: string,
  issues?: readonly FieldIssue[],
): ErrorBody {
  return { error: issues ? { code, message, issues } : { code, message } };
}

/** Messages the API shows instead of a typed error's own, by code. */
const API_MESSAGES: Partial<Record<ErrorCode, string>> = {
  // The issues carry the details; the error's own message repeats them on one line.
  VALIDATION_ERROR: "the refund request is invalid",
};

/** The body of a typed error: its code, message and issues, and its stored record if any. */
export function codedErrorBody(err: CodedError): ErrorBody {
  const body = errorBody(err.code, API_MESSAGES[err.code] ?? err.message, err.issues);
  return err.record ? { ...body, record: err.record } : body;
}
