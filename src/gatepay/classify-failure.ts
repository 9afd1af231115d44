/**
 * What a failed GatePay call means for the caller: the one place that decides between
 * retrying, waiting, looking the refund up first, giving up, or stopping for a human.
 * Pure and total: any input, including values that are not errors at all, gets a decision.
 *
 * Creating operations (orderRefund, convertRefund) — money may move (gatepay-api.md §8.2, §9):
 *
 * | failure                                                   | decision                  |
 * |-----------------------------------------------------------|---------------------------|
 * | HTTP 429                                                  | retry-after (Retry-After, default 1000 ms): a 429 was not processed |
 * | HTTP 5xx, any code (300000/300001/400000 included)        | unknown-outcome (+ Retry-After as delayMs when sent) |
 * | HTTP 2xx, status FAIL, code 300000/300001/400000          | unknown-outcome: a system error says nothing about the refund |
 * | GatePayTimeoutError, reset / closed socket, unknown net   | unknown-outcome           |
 * | GatePayResponseError (2xx, body unreadable)               | unknown-outcome: the refund was probably accepted |
 * | connection refused, DNS failure, connect timeout          | retry: the request never left |
 * | HTTP 408                                                  | retry: the server gave up before reading the request |
 * | 400002 signature, 400003 timestamp, 400020 nonce          | retry: every attempt is signed afresh; the retry budget bounds a wrong key |
 * | 400622 exchange-rate fluctuation                          | retry: the doc says "you can try to apply again" |
 * | 400004 identity key, 400203 / 500008 merchant unknown, 400624 notify URL | halt: credentials or configuration |
 * | 400605 insufficient balance                               | halt: an operator must top up, then replay |
 * | 400001, 400007, 400202, 400204, 400205, 400304, 400604, 400607, 400608, 400623, 500204–500208 | permanent: GatePay refused this refund |
 * | any other code, or HTTP 2xx FAIL / 4xx without a code     | halt (see below)          |
 * | not a GatePay error (a bug, a TypeError)                  | halt                      |
 *
 * Why an unknown business code halts instead of rejecting: "permanent" is recorded as
 * `rejected` (final, no refund exists, the reservation is released). An unlisted code is
 * no proof that GatePay refused the refund for good — the code tables are incomplete
 * (§8.1) — so the refund goes `dead`, replayable after an operator has looked.
 *
 * Read operations (refundDetails, refundQueryV1) move no money: every transient failure
 * (5xx, 408, timeout, reset, refused, unreadable 2xx, 300000/300001/400000, 400002/400003/
 * 400020) is `retry` (`retry-after` when a Retry-After header came with it); 429 is
 * `retry-after`; credential and configuration codes (400004, 400203, 500008, 400624) and
 * HTTP 401/403/404 without a code halt; every other code is `permanent`.
 */
import { ENDPOINTS, type GatePayOperation } from "./endpoints.js";
import {
  GatePayApiError,
  GatePayConnectionError,
  GatePayError,
  GatePayResponseError,
  GatePayTimeoutError,
} from "./errors.js";

/** What to do after a failed GatePay call. */
export type FailureDecision =
  /** Safe to send again as is (with a fresh signature). */
  | { action: "retry"; reason: string; code?: string }
  /** Safe to send again after `delayMs`. */
  | { action: "retry-after"; delayMs: number; reason: string; code?: string }
  /** GatePay may have acted: look the refund up before any re-send. */
  | { action: "unknown-outcome"; reason: string; code?: string; delayMs?: number }
  /** Business rejection: no refund exists, do not retry. */
  | { action: "permanent"; reason: string; code?: string }
  /** Stop retrying; not a rejection of the refund (credentials, balance, a bug): an operator must act. */
  | { action: "halt"; reason: string; code?: string };

/** Delay for a 429 without a usable Retry-After, in milliseconds. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 1000;

/** 300000 system error, 300001 internal error, 400000 unknown error: "retry with the same parameters" (§8.1). */
const SYSTEM_CODES: ReadonlySet<string> = new Set(["300000", "300001", "400000"]);
/** Signature, timestamp and nonce problems: cured by signing afresh (§8.2). */
const RESIGN_CODES: ReadonlySet<string> = new Set(["400002", "400003", "400020"]);
/** Credentials and merchant configuration: nothing a retry fixes. */
const CONFIG_CODES: ReadonlySet<string> = new Set(["400004", "400203", "500008", "400624"]);
/** GatePay refused this refund request; no refund exists (§8.1, §8.2). */
const REJECTION_CODES: ReadonlySet<string> = new Set([
  "400001",
  "400007",
  "400202",
  "400204",
  "400205",
  "400304",
  "400604",
  "400607",
  "400608",
  "400623",
  "500204",
  "500205",
  "500206",
  "500207",
  "500208",
]);
/** Insufficient balance in the payment account: top up, then replay (§8.1). */
const INSUFFICIENT_BALANCE = "400605";
/** Exchange-rate fluctuation: "you can try to apply again" (§8.1). */
const RATE_FLUCTUATION = "400622";

/**
 * Decides what a failure of `operation` means. Total: never throws, whatever `error` is.
 * An unrecognised `operation` is treated as a creating one (the cautious side).
 */
export function classifyFailure(error: unknown, operation: GatePayOperation): FailureDecision {
  try {
    return isRead(operation) ? classifyRead(error) : classifyCreate(error);
  } catch {
    return { action: "halt", reason: "unclassifiable failure" };
  }
}

function isRead(operation: GatePayOperation): boolean {
  return Object.hasOwn(ENDPOINTS, operation) && ENDPOINTS[operation].kind === "read";
}

function withCode<T extends FailureDecision>(decision: T, code: string | undefined): T {
  return code === undefined ? decision : { ...decision, code };
}

function classifyCreate(error: unknown): FailureDecision {
  if (error instanceof GatePayApiError) return classifyCreateApiError(error);
  if (error instanceof GatePayTimeoutError) {
    return { action: "unknown-outcome", reason: "timed out; the refund may have been created" };
  }
  if (error instanceof GatePayConnectionError) {
    return error.requestMayHaveReached
      ? { action: "unknown-outcome", reason: "connection lost; the refund may have been created" }
      : { action: "retry", reason: "the request never reached GatePay" };
  }
  if (error instanceof GatePayResponseError) {
    return {
      action: "unknown-outcome",
      reason: "unreadable answer to a refund request; it may have been accepted",
    };
  }
  return notGatePay(error);
}

function classifyCreateApiError(error: GatePayApiError): FailureDecision {
  const { httpStatus, code } = error;
  if (httpStatus === 429) return rateLimited(error);
  if (httpStatus >= 500) {
    const decision: FailureDecision = {
      action: "unknown-outcome",
      reason: `GatePay answered HTTP ${httpStatus}; the refund may have been created`,
    };
    if (error.retryAfterMs !== undefined) decision.delayMs = error.retryAfterMs;
    return withCode(decision, code);
  }
  if (httpStatus === 408) {
    return withCode({ action: "retry", reason: "HTTP 408: the request was not processed" }, code);
  }
  if (code === undefined) return noCode(httpStatus);
  if (SYSTEM_CODES.has(code)) {
    return {
      action: "unknown-outcome",
      reason: `GatePay system error ${code}; the refund may have been created`,
      code,
    };
  }
  if (RESIGN_CODES.has(code)) {
    return { action: "retry", reason: `signature check failed (${code}); re-sign and retry`, code };
  }
  if (code === RATE_FLUCTUATION) {
    return { action: "retry", reason: "exchange-rate fluctuation; GatePay allows a retry", code };
  }
  if (code === INSUFFICIENT_BALANCE) {
    return { action: "halt", reason: "insufficient balance in the payment account", code };
  }
  if (CONFIG_CODES.has(code)) {
    return { action: "halt", reason: `credentials or merchant configuration (${code})`, code };
  }
  if (REJECTION_CODES.has(code)) {
    return { action: "permanent", reason: `GatePay rejected the refund (${code})`, code };
  }
  return {
    action: "halt",
    reason: `unrecognised GatePay code ${code}; an operator must look`,
    code,
  };
}

function classifyRead(error: unknown): FailureDecision {
  if (error instanceof GatePayApiError) return classifyReadApiError(error);
  if (error instanceof GatePayConnectionError || error instanceof GatePayResponseError) {
    return { action: "retry", reason: `transient failure of a read: ${error.name}` };
  }
  return notGatePay(error);
}

function classifyReadApiError(error: GatePayApiError): FailureDecision {
  const { httpStatus, code } = error;
  if (httpStatus === 429) return rateLimited(error);
  const transient =
    httpStatus >= 500 ||
    httpStatus === 408 ||
    (code !== undefined && (SYSTEM_CODES.has(code) || RESIGN_CODES.has(code)));
  if (transient) {
    const reason = `transient failure of a read (HTTP ${httpStatus}${code ? `, code ${code}` : ""})`;
    return withCode(
      error.retryAfterMs !== undefined
        ? { action: "retry-after", delayMs: error.retryAfterMs, reason }
        : { action: "retry", reason },
      code,
    );
  }
  if (code === undefined) return noCode(httpStatus);
  if (CONFIG_CODES.has(code)) {
    return { action: "halt", reason: `credentials or merchant configuration (${code})`, code };
  }
  return { action: "permanent", reason: `GatePay refused the query (${code})`, code };
}

function rateLimited(error: GatePayApiError): FailureDecision {
  return withCode(
    {
      action: "retry-after",
      delayMs: error.retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS,
      reason: "rate limited (HTTP 429); the request was not processed",
    },
    error.code,
  );
}

/** A non-2xx client error or a 2xx FAIL without a GatePay code: a proxy, a wrong URL, bad credentials. */
function noCode(httpStatus: number): FailureDecision {
  return {
    action: "halt",
    reason: `HTTP ${httpStatus} without a GatePay code; check the base URL and credentials`,
  };
}

function notGatePay(error: unknown): FailureDecision {
  const reason =
    error instanceof GatePayError
      ? `GatePay client error: ${error.message}`
      : "not a GatePay failure (a bug?)";
  return { action: "halt", reason };
}
