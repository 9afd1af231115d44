/**
 * GatePay's response envelope as the sandbox writes it (gatepay-api.md §4): success is
 * HTTP 200 `{"status":"SUCCESS","code":"000000","errorMessage":"","data":{…}}`; business
 * and validation failures are HTTP 200 with `status: "FAIL"`; system errors are HTTP 500
 * with code 300000.
 */

/** A GatePay failure the sandbox answers with (code and label per gatepay-api.md §8.1). */
export interface SandboxFailure {
  code: string;
  label: string;
  message: string;
}

/** Labels for the codes the sandbox uses. GatePay's own labels are mostly unpublished. */
export const FAILURE_LABELS = {
  "300000": "SYSTEM_ERROR",
  "400001": "INVALID_PARAMETERS",
  "400002": "INVALID_SIGNATURE",
  "400003": "TIMESTAMP_EXPIRED",
  "400004": "INVALID_CLIENT_ID",
  "400007": "UNSUPPORTED_MEDIA_TYPE",
  "400020": "INVALID_NONCE",
  "400202": "ORDER_NOT_FOUND",
  "400304": "REFUND_NOT_FOUND",
  "500205": "INVALID_REFUND_CURRENCY",
  "500206": "REFUND_AMOUNT_EXCEEDS_LIMIT",
  "500208": "WRONG_REFUND_ENDPOINT",
} as const;

/** A code the sandbox answers with. */
export type FailureCode = keyof typeof FAILURE_LABELS;

/** Builds a {@link SandboxFailure} with the code's label. */
export function failure(code: FailureCode, message: string): SandboxFailure {
  return { code, label: FAILURE_LABELS[code], message };
}

/** The JSON text of a success envelope around `data`. */
export function successBody(data: object): string {
  return JSON.stringify({ status: "SUCCESS", code: "000000", errorMessage: "", data });
}

/** The JSON text of a failure envelope (`data` is `{}`, as in gatepay-api.md §4). */
export function failureBody(f: SandboxFailure): string {
  return JSON.stringify({
    status: "FAIL",
    code: f.code,
    label: f.label,
    errorMessage: f.message,
    data: {},
  });
}
