/**
 * The GatePay error tree. Every failure of a GatePay call is one of these, so callers
 * (and classify-failure.ts) decide on types and fields, never on message text.
 *
 * ```
 * GatePayError                      base: which operation failed
 * ├── GatePayApiError               GatePay (or a proxy) answered: non-2xx, or 2xx with status FAIL
 * ├── GatePayConnectionError        no usable answer: refused, DNS, reset, socket closed
 * │   └── GatePayTimeoutError       no answer within the per-attempt timeout
 * └── GatePayResponseError          2xx whose body is not JSON or does not match the schema
 * WebhookVerificationError          a notification failed signature checks (webhook.ts)
 * WebhookPayloadError               a verified notification has an unusable body
 * ```
 *
 * Messages and fields never carry the secret, a signature or request headers: the client
 * redacts response bodies with {@link redactSecrets} before they reach an error.
 */
import type { GatePayOperation } from "./endpoints.js";

/** Base of every error raised by a GatePay call. */
export class GatePayError extends Error {
  /** The operation that failed. */
  readonly operation: GatePayOperation;
  /**
   * Epoch ms (local clock) when GatePay's answer had arrived, on the errors that had an
   * answer (GatePayApiError, GatePayResponseError). Whatever an answered request did at
   * GatePay was done by then: a look-up's grace period counts from here.
   */
  answeredAtMs?: number;

  constructor(operation: GatePayOperation, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GatePayError";
    this.operation = operation;
  }
}

/** Fields of a {@link GatePayApiError}. */
export interface GatePayApiErrorInit {
  operation: GatePayOperation;
  httpStatus: number;
  /** GatePay's business code as a string (it may arrive as a number, §4); undefined when absent. */
  code?: string | undefined;
  label?: string | undefined;
  errorMessage?: string | undefined;
  /** Parsed `Retry-After`, milliseconds from now. */
  retryAfterMs?: number | undefined;
  /** The response body, parsed when it was JSON, already redacted and truncated. */
  body?: unknown;
  cause?: unknown;
}

/**
 * GatePay (or something in front of it) answered, and the answer is a failure: an HTTP
 * status outside 2xx, or HTTP 2xx with `status` other than `SUCCESS` (§4). System errors
 * (300000, 300001, 400000) come with HTTP 500, business rejections with HTTP 200 (§8.1).
 */
export class GatePayApiError extends GatePayError {
  readonly httpStatus: number;
  readonly code: string | undefined;
  readonly label: string | undefined;
  readonly errorMessage: string | undefined;
  /** Milliseconds to wait, from a `Retry-After` header (seconds or HTTP date); absent when none. */
  declare readonly retryAfterMs?: number;
  /** The response body (parsed JSON or a text excerpt) with anything secret removed. */
  readonly body: unknown;

  constructor(init: GatePayApiErrorInit) {
    const parts = [`HTTP ${init.httpStatus}`];
    if (init.code !== undefined) parts.push(`code ${init.code}`);
    if (init.label) parts.push(`(${init.label})`);
    const detail = init.errorMessage ? `: ${init.errorMessage}` : "";
    super(init.operation, `GatePay ${init.operation} failed: ${parts.join(" ")}${detail}`, {
      cause: init.cause,
    });
    this.name = "GatePayApiError";
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.label = init.label;
    this.errorMessage = init.errorMessage;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    this.body = init.body;
  }
}

/** Fields of a {@link GatePayConnectionError}. */
export interface GatePayConnectionErrorInit {
  operation: GatePayOperation;
  cause: unknown;
  /**
   * False only when the request certainly never left this host (connection refused, DNS
   * failure, connect timeout). When true, GatePay may have acted on it.
   */
  requestMayHaveReached: boolean;
  /** What happened, for the message; default "connection failed". */
  description?: string;
}

/** Network codes that prove the request never reached the server. */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * No usable answer arrived. `requestMayHaveReached` tells whether GatePay may have
 * received (and acted on) the request: for a refund creation that means the refund may
 * exist, so the next attempt must look it up before re-sending (DESIGN.md, §9).
 */
export class GatePayConnectionError extends GatePayError {
  readonly requestMayHaveReached: boolean;
  /** Node / undici error codes found along the cause chain (e.g. `ECONNREFUSED`). */
  readonly networkCodes: readonly string[];

  constructor(init: GatePayConnectionErrorInit) {
    const codes = networkErrorCodes(init.cause);
    const what = init.description ?? "connection failed";
    const suffix = codes.length > 0 ? ` (${codes.join(", ")})` : "";
    super(init.operation, `GatePay ${init.operation}: ${what}${suffix}`, { cause: init.cause });
    this.name = "GatePayConnectionError";
    this.requestMayHaveReached = init.requestMayHaveReached;
    this.networkCodes = codes;
  }

  /**
   * Builds the error for a failed fetch: `requestMayHaveReached` is false only when every
   * code on the cause chain proves the request never left (ECONNREFUSED, ENOTFOUND,
   * EAI_AGAIN, undici's connect timeout); resets, closed sockets and anything unknown
   * count as "may have reached".
   */
  static fromCause(operation: GatePayOperation, cause: unknown): GatePayConnectionError {
    const codes = networkErrorCodes(cause);
    const neverSent = codes.length > 0 && codes.every((c) => NEVER_SENT_CODES.has(c));
    return new GatePayConnectionError({ operation, cause, requestMayHaveReached: !neverSent });
  }
}

/**
 * No answer within the per-attempt timeout. The request may have reached GatePay: a fetch
 * abort cannot tell whether the socket had connected and the body had been sent.
 */
export class GatePayTimeoutError extends GatePayConnectionError {
  /** The per-attempt timeout that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(init: { operation: GatePayOperation; timeoutMs: number; cause: unknown }) {
    super({
      operation: init.operation,
      cause: init.cause,
      requestMayHaveReached: true,
      description: `no response within ${init.timeoutMs} ms`,
    });
    this.name = "GatePayTimeoutError";
    this.timeoutMs = init.timeoutMs;
  }
}

/**
 * HTTP 2xx, but the body is not JSON, not a GatePay envelope, or `data` does not match the
 * operation's schema. For a refund creation GatePay may well have accepted the refund.
 */
export class GatePayResponseError extends GatePayError {
  readonly httpStatus: number;
  /** What did not match, e.g. `data.refundRequestId: Invalid input`. */
  readonly problem: string;
  /** The start of the body (at most 500 characters), with anything secret removed. */
  readonly bodyExcerpt: string;

  constructor(init: {
    operation: GatePayOperation;
    httpStatus: number;
    problem: string;
    bodyExcerpt: string;
    cause?: unknown;
  }) {
    super(
      init.operation,
      `GatePay ${init.operation}: unexpected response (HTTP ${init.httpStatus}): ${init.problem}`,
      { cause: init.cause },
    );
    this.name = "GatePayResponseError";
    this.httpStatus = init.httpStatus;
    this.problem = init.problem;
    this.bodyExcerpt = init.bodyExcerpt;
  }
}

/** Why a webhook was refused before its body was trusted. */
export type WebhookVerificationReason = "missing-header" | "bad-signature";

/**
 * A notification failed verification: a required `X-GatePay-*` header is missing or
 * malformed, or the signature does not match the raw body (§7.2). Answer 401, change nothing.
 */
export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = "WebhookVerificationError";
    this.reason = reason;
  }
}

/**
 * A correctly signed notification whose body is unusable: not JSON, `bizType` other than
 * `PAY_REFUND`, or `data` missing / not JSON / without `refundInfo.refundRequestId`.
 */
export class WebhookPayloadError extends Error {
  /** The offending field path, e.g. `bizType` or `data.refundInfo.refundRequestId`; `body` for the whole body. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebhookPayloadError";
    this.field = field;
  }
}

// ---------------------------------------------------------------------------------------
// Helpers (pure)

/**
 * Parses a `Retry-After` value: delay seconds (decimals accepted) or an HTTP date.
 * @returns milliseconds from `nowMs` (≥ 0), or undefined when absent or unparseable.
 */
export function parseRetryAfterMs(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const ms = Math.round(Number(trimmed) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  // An HTTP date names its weekday and month; Date.parse alone would read "-1" as a year.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Error codes (`code` properties, e.g. `ECONNRESET`, `UND_ERR_SOCKET`) along a cause
 * chain, including the members of an `AggregateError` (fetch reports one per address
 * tried). Depth-limited and exception-safe.
 */
export function networkErrorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8 || typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    try {
      const code = (value as { code?: unknown }).code;
      if (typeof code === "string" && code !== "" && !codes.includes(code)) codes.push(code);
      const errors = (value as { errors?: unknown }).errors;
      if (Array.isArray(errors)) for (const e of errors) visit(e, depth + 1);
      visit((value as { cause?: unknown }).cause, depth + 1);
    } catch {
      // A hostile getter: ignore this link of the chain.
    }
  };
  visit(error, 0);
  return codes;
}

const SECRET_KEY = /secret|signature|password|passwd|token|authorization|api[-_]?key/i;
const REDACTED = "[REDACTED]";

/**
 * A copy of `value` safe to keep in an error: object keys that name secrets (secret,
 * signature, token, authorization, …) are replaced by `[REDACTED]`, every occurrence of
 * the given secret strings in any string is replaced, and nesting deeper than 8 levels is
 * cut. Never throws.
 */
export function redactSecrets(value: unknown, secrets: readonly string[] = []): unknown {
  const live = secrets.filter((s) => s.length > 0);
  const scrub = (s: string): string =>
    live.reduce((acc, secret) => acc.split(secret).join(REDACTED), s);
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return scrub(v);
    if (typeof v !== "object" || v === null) return v;
    if (depth > 8) return "[…]";
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(v)) {
      out[scrub(key)] = SECRET_KEY.test(key) ? REDACTED : walk(item, depth + 1);
    }
    return out;
  };
  try {
    return walk(value, 0);
  } catch {
    return REDACTED;
  }
}

/**
 * `cause` itself when neither its message nor its stack contains a secret; otherwise a
 * plain copy (same name) with the secrets replaced. JSON.parse errors quote the text they
 * failed on, so a parse error of a body that echoes a secret must not be chained as is.
 */
export function scrubCause(cause: unknown, secrets: readonly string[]): unknown {
  if (!(cause instanceof Error)) return cause;
  const live = secrets.filter((s) => s.length > 0);
  try {
    const text = `${cause.message}\n${cause.stack ?? ""}`;
    if (!live.some((secret) => text.includes(secret))) return cause;
    const copy = new Error(redactSecrets(cause.message, live) as string);
    copy.name = cause.name;
    copy.stack = redactSecrets(cause.stack ?? "", live) as string;
    return copy;
  } catch {
    return new Error(REDACTED);
  }
}

/** The first `maxChars` characters of `text` (default 500) with the secrets replaced. */
export function bodyExcerpt(text: string, secrets: readonly string[] = [], maxChars = 500): string {
  const redacted = redactSecrets(text, secrets) as string;
  return redacted.length > maxChars ? `${redacted.slice(0, maxChars)}…` : redacted;
}
