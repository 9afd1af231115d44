/**
 * The typed, signed GatePay refund client (gatepay-api.md §2–§6).
 *
 * Each attempt serialises the body once, signs exactly those bytes with a fresh
 * timestamp and nonce immediately before sending, and sends the same string. Refund
 * creations are never retried here (BullMQ owns those attempts, and a lost answer must
 * be looked up before any re-send, §9); status reads retry briefly on transient failures.
 * Every failure is one of the errors in errors.ts. The client never logs: it reports each
 * attempt to the optional `observer`.
 */
import { request as undiciRequest } from "undici";
import type { z } from "zod";
import { classifyFailure, type FailureDecision } from "./classify-failure.js";
import { ENDPOINTS, endpointPath, type GatePayOperation } from "./endpoints.js";
import {
  bodyExcerpt,
  GatePayApiError,
  GatePayConnectionError,
  GatePayError,
  GatePayResponseError,
  GatePayTimeoutError,
  parseRetryAfterMs,
  redactSecrets,
  scrubCause,
} from "./errors.js";
import {
  ConvertRefundRequest,
  ConvertRefundResult,
  GatePayEnvelope,
  OrderRefundRequest,
  OrderRefundResult,
  parseEnvelopeData,
  parseGatePayJson,
  RefundDetails,
  RefundQueryV1Request,
  RefundQueryV1Result,
} from "./schemas.js";
import { attemptTimeoutMs } from "./send-deadline.js";
import { buildSignedHeaders, GATEPAY_HEADERS } from "./signing.js";
import { traceGatePayCall } from "./tracing.js";

/** Default per-attempt timeout, milliseconds. */
export const GATEPAY_DEFAULT_TIMEOUT_MS = 10_000;
/** Default number of extra attempts for status reads. */
export const GATEPAY_DEFAULT_READ_RETRIES = 2;
/** Most a read may spend sleeping between its attempts, milliseconds. */
export const GATEPAY_READ_RETRY_BUDGET_MS = 2_000;
/** GatePay's answer for a refund id it does not know (§6.5). */
const UNKNOWN_REFUND_CODE = "400304";

/** One HTTP attempt, as reported to {@link GatePayClientOptions.observer}. */
export interface GatePayAttemptEvent {
  operation: GatePayOperation;
  method: string;
  /** Absent when no HTTP answer arrived. */
  httpStatus?: number;
  /** GatePay's business code, when the answer carried one. */
  code?: string;
  /** Wall time of the attempt, milliseconds. */
  durationMs: number;
  outcome: "ok" | "api-error" | "timeout" | "connection-error" | "response-error";
}

/** Options of {@link GatePayClient}. */
export interface GatePayClientOptions {
  /** e.g. `https://openplatform.gateapi.io` (§1); paths are appended to it. */
  baseUrl: string;
  /** Sent as `X-GatePay-Certificate-ClientId`. */
  clientId: string;
  /** The Payment API Secret (§2.1); a `{ reveal() }` holder is read at signing time only. */
  secretKey: string | { reveal(): string };
  /**
   * Institution mode for every call when set: institution paths plus
   * `X-GatePay-On-Behalf-Of` (§2.2). An empty string means unset.
   */
  onBehalfOf?: string | undefined;
  /** Per-attempt timeout in milliseconds, covering the whole answer; default 10 000. */
  timeoutMs?: number;
  /**
   * Extra attempts for status reads (refundDetails, refundQueryV1) when a failure is
   * classified `retry` / `retry-after`; default 2. Sleeps between them total ≤ 2 s.
   */
  readRetries?: number;
  /**
   * A fetch to use instead of the default transport (undici's `request` on its global
   * keep-alive agent), e.g. for a proxy or a test double of the network stack.
   */
  fetch?: typeof globalThis.fetch;
  /** Called once per HTTP attempt (never with secrets); exceptions it throws are ignored. */
  observer?: (event: GatePayAttemptEvent) => void;
}

/** Per-call options. */
export interface CallOptions {
  /**
   * Institution sub-account for this call; overrides the client's. `null` forces merchant
   * mode even when the client has a default sub-account (a refund sent in merchant mode
   * must be looked up in merchant mode). An empty string or undefined means "the
   * client's default".
   */
  onBehalfOf?: string | null | undefined;
  /** Aborts the call (an in-flight attempt fails with a GatePayConnectionError). */
  signal?: AbortSignal;
  /** Per-attempt timeout for this call, milliseconds. */
  timeoutMs?: number;
  /**
   * Send deadline, epoch ms (local clock): no attempt starts later (it throws a
   * GatePaySendDeadlineError: nothing sent) and each attempt's timeout ends by it.
   */
  sendBy?: number;
}

interface RawAnswer {
  status: number;
  retryAfter: string | null;
  text: string;
}

interface SendRequest {
  operation: GatePayOperation;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** Typed, signed calls to GatePay's refund endpoints. */
export class GatePayClient {
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly onBehalfOf: string | undefined;
  readonly timeoutMs: number;
  readonly readRetries: number;
  // Private fields: inspecting or serialising a client never shows the secret.
  readonly #secretKey: string | { reveal(): string };
  readonly #fetch: typeof globalThis.fetch | undefined;
  readonly #observer: ((event: GatePayAttemptEvent) => void) | undefined;

  /** @throws TypeError / RangeError on invalid options (values are not echoed). */
  constructor(options: GatePayClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError("GatePayClient: baseUrl must be an absolute http(s) URL");
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError("GatePayClient: baseUrl must be an absolute http(s) URL");
    }
    if (!options.clientId) throw new TypeError("GatePayClient: clientId is required");
    if (typeof options.secretKey === "string" ? !options.secretKey : !options.secretKey?.reveal) {
      throw new TypeError("GatePayClient: secretKey is required");
    }
    const timeoutMs = options.timeoutMs ?? GATEPAY_DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new RangeError("GatePayClient: timeoutMs must be a positive integer");
    }
    const readRetries = options.readRetries ?? GATEPAY_DEFAULT_READ_RETRIES;
    if (!Number.isInteger(readRetries) || readRetries < 0 || readRetries > 10) {
      throw new RangeError("GatePayClient: readRetries must be an integer from 0 to 10");
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.clientId = options.clientId;
    this.onBehalfOf = options.onBehalfOf || undefined;
    this.timeoutMs = timeoutMs;
    this.readRetries = readRetries;
    this.#secretKey = options.secretKey;
    this.#fetch = options.fetch;
    this.#observer = options.observer;
  }

  /**
   * `POST /v1/pay/order/refund` (institution: `/payment/open/institution/v1/pay/order/refund`).
   * Acceptance only: the outcome comes by webhook or status query (§6.1). One attempt.
   * @throws TypeError when `req` does not match {@link OrderRefundRequest} (nothing is sent).
   * @throws GatePayError subclasses; see classify-failure.ts for what each means.
   */
  async createOrderRefund(req: OrderRefundRequest, opts?: CallOptions): Promise<OrderRefundResult> {
    const body = serialize(OrderRefundRequest, req, "OrderRefundRequest");
    return traceGatePayCall("orderRefund", req.refundRequestId, () =>
      this.#call("orderRefund", { body, schema: OrderRefundResult, opts }),
    );
  }

  /**
   * `POST /v1/pay/address/refundconvert` (institution path likewise), for convert
   * (flash-swap) address orders (§5.4). One attempt.
   * @throws TypeError when `req` does not match {@link ConvertRefundRequest} (nothing is sent).
   */
  async createConvertRefund(
    req: ConvertRefundRequest,
    opts?: CallOptions,
  ): Promise<ConvertRefundResult> {
    const body = serialize(ConvertRefundRequest, req, "ConvertRefundRequest");
    return traceGatePayCall("convertRefund", req.refundRequestId, () =>
      this.#call("convertRefund", { body, schema: ConvertRefundResult, opts }),
    );
  }

  /**
   * `GET /v2/pay/refund/details?refundRequestId=…` (§6.2): signed over the empty body,
   * query unsigned. Retries transient failures (see `readRetries`).
   * @returns the details, or null when GatePay answers 400304 (it does not know this refund).
   */
  async getRefundDetails(
    refundRequestId: string,
    opts?: CallOptions,
  ): Promise<RefundDetails | null> {
    requireId(refundRequestId);
    const query = `?refundRequestId=${encodeURIComponent(refundRequestId)}`;
    return traceGatePayCall("refundDetails", refundRequestId, () =>
      this.#call("refundDetails", { query, schema: RefundDetails, opts, unknownAsNull: true }),
    );
  }

  /**
   * `POST /v1/pay/order/refund/query` with `{refundRequestId}` (§6.3). Merchant mode only.
   * Retries transient failures (see `readRetries`).
   * @returns the result, or null when GatePay answers 400304.
   * @throws GatePayError (before sending) in institution mode: there is no institution path.
   */
  async queryRefundV1(
    refundRequestId: string,
    opts?: CallOptions,
  ): Promise<RefundQueryV1Result | null> {
    requireId(refundRequestId);
    const body = serialize(RefundQueryV1Request, { refundRequestId }, "refundRequestId");
    return traceGatePayCall("refundQueryV1", refundRequestId, () =>
      this.#call("refundQueryV1", {
        body,
        schema: RefundQueryV1Result,
        opts,
        unknownAsNull: true,
      }),
    );
  }

  /** Runs an operation: one attempt for creations, up to 1 + readRetries for reads. */
  async #call<S extends z.ZodType>(
    operation: GatePayOperation,
    call: { body?: string; query?: string; schema: S; opts: CallOptions | undefined },
  ): Promise<z.output<S>>;
  async #call<S extends z.ZodType>(
    operation: GatePayOperation,
    call: {
      body?: string;
      query?: string;
      schema: S;
      opts: CallOptions | undefined;
      unknownAsNull: true;
    },
  ): Promise<z.output<S> | null>;
  async #call<S extends z.ZodType>(
    operation: GatePayOperation,
    call: {
      body?: string;
      query?: string;
      schema: S;
      opts: CallOptions | undefined;
      unknownAsNull?: boolean;
    },
  ): Promise<z.output<S> | null> {
    const endpoint = ENDPOINTS[operation];
    const onBehalfOf =
      call.opts?.onBehalfOf === null ? undefined : call.opts?.onBehalfOf || this.onBehalfOf;
    if (onBehalfOf !== undefined && endpoint.institutionPath === null) {
      throw new GatePayError(
        operation,
        `GatePay ${operation} has no institution-mode endpoint; call it without onBehalfOf`,
      );
    }
    const url = `${this.baseUrl}${endpointPath(operation, onBehalfOf !== undefined)}${call.query ?? ""}`;
    const timeoutMs = call.opts?.timeoutMs ?? this.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new RangeError("GatePayClient: timeoutMs must be a positive integer");
    }
    const signal = call.opts?.signal;
    const maxAttempts = endpoint.kind === "read" ? 1 + this.readRetries : 1;
    let sleptMs = 0;
    for (let attempt = 1; ; attempt++) {
      // Outside the try: a passed send deadline ends the call, it is not retried.
      const attemptTimeout = attemptTimeoutMs(operation, timeoutMs, call.opts?.sendBy);
      try {
        return await this.#attempt({
          operation,
          method: endpoint.method,
          url,
          body: call.body,
          onBehalfOf,
          timeoutMs: attemptTimeout,
          signal,
          schema: call.schema,
        });
      } catch (err) {
        if (
          call.unknownAsNull === true &&
          err instanceof GatePayApiError &&
          err.code === UNKNOWN_REFUND_CODE &&
          err.httpStatus < 500
        ) {
          return null;
        }
        if (attempt >= maxAttempts || signal?.aborted === true) throw err;
        const delayMs = readRetryDelayMs(classifyFailure(err, operation), attempt);
        if (delayMs === undefined || sleptMs + delayMs > GATEPAY_READ_RETRY_BUDGET_MS) throw err;
        sleptMs += delayMs;
        if (!(await sleep(delayMs, signal))) throw err;
      }
    }
  }

  /** One signed attempt: sign now, send, interpret, report to the observer. */
  async #attempt<S extends z.ZodType>(a: {
    operation: GatePayOperation;
    method: string;
    url: string;
    body: string | undefined;
    onBehalfOf: string | undefined;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    schema: S;
  }): Promise<z.output<S>> {
    const secret = typeof this.#secretKey === "string" ? this.#secretKey : this.#secretKey.reveal();
    // §3.2/§3.3: sign exactly the bytes sent; a GET signs "" and its query is not signed.
    // Signed immediately before sending: the timestamp window may be 10 s (§2.3).
    const headers = buildSignedHeaders({
      clientId: this.clientId,
      secret,
      body: a.body ?? "",
      onBehalfOf: a.onBehalfOf,
    });
    const secrets = [secret, headers[GATEPAY_HEADERS.signature] ?? ""];
    const started = performance.now();
    let answer: RawAnswer | undefined;
    try {
      answer = await this.#send({
        operation: a.operation,
        method: a.method,
        url: a.url,
        headers,
        body: a.body,
        timeoutMs: a.timeoutMs,
        signal: a.signal,
      });
      const data = interpret(a.operation, answer, a.schema, secrets);
      this.#report(a, started, "ok", answer.status, undefined);
      return data;
    } catch (err) {
      if (err instanceof GatePayApiError) {
        this.#report(a, started, "api-error", err.httpStatus, err.code);
      } else if (err instanceof GatePayResponseError) {
        this.#report(a, started, "response-error", err.httpStatus, undefined);
      } else if (err instanceof GatePayTimeoutError) {
        this.#report(a, started, "timeout", undefined, undefined);
      } else {
        this.#report(a, started, "connection-error", answer?.status, undefined);
      }
      throw err;
    }
  }

  /**
   * The one HTTP exchange. By default undici's `request` on its global keep-alive agent:
   * the benchmarks (BENCHMARKS.md, "The HTTP client") measured ky over the global fetch at
   * 8.5× the CPU per signed POST + GET pair of `request`, and the event loop, not Redis,
   * bounds a worker. With a custom `fetch` option that fetch is called instead. No
   * retries here: our own AbortSignal.timeout covers the whole answer, combined with the
   * caller's signal. Maps every failure to the error tree.
   */
  async #send(req: SendRequest): Promise<RawAnswer> {
    if (req.signal?.aborted === true) {
      throw new GatePayConnectionError({
        operation: req.operation,
        cause: req.signal.reason,
        requestMayHaveReached: false,
        description: "aborted by the caller before sending",
      });
    }
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const userFetch = this.#fetch;
    try {
      if (userFetch) {
        const response = await userFetch(req.url, {
          method: req.method,
          headers: req.headers,
          ...(req.body !== undefined && { body: req.body }),
          signal,
        });
        const text = await response.text();
        return { status: response.status, retryAfter: response.headers.get("retry-after"), text };
      }
      const response = await undiciRequest(req.url, {
        method: req.method as "GET" | "POST",
        headers: req.headers,
        ...(req.body !== undefined && { body: req.body }),
        signal,
      });
      const text = await response.body.text();
      const retryAfter = response.headers["retry-after"];
      return {
        status: response.statusCode,
        retryAfter: (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null,
        text,
      };
    } catch (err) {
      if (isAborted(req.signal)) {
        throw new GatePayConnectionError({
          operation: req.operation,
          cause: err,
          requestMayHaveReached: true,
          description: "aborted by the caller",
        });
      }
      if (timeout.aborted) {
        throw new GatePayTimeoutError({
          operation: req.operation,
          timeoutMs: req.timeoutMs,
          cause: err,
        });
      }
      throw GatePayConnectionError.fromCause(req.operation, err);
    }
  }

  #report(
    a: { operation: GatePayOperation; method: string },
    started: number,
    outcome: GatePayAttemptEvent["outcome"],
    httpStatus: number | undefined,
    code: string | undefined,
  ): void {
    if (!this.#observer) return;
    const event: GatePayAttemptEvent = {
      operation: a.operation,
      method: a.method,
      durationMs: performance.now() - started,
      outcome,
    };
    if (httpStatus !== undefined) event.httpStatus = httpStatus;
    if (code !== undefined) event.code = code;
    try {
      this.#observer(event);
    } catch {
      // An observer (metrics, logs) must never change the outcome of a GatePay call.
    }
  }
}

/** Validates a request and serialises it once; field order follows the schema. */
function serialize<S extends z.ZodType>(schema: S, value: unknown, what: string): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.map(String).join(".") || "(root)");
    throw new TypeError(`invalid ${what}: ${[...new Set(fields)].join(", ")}`);
  }
  return JSON.stringify(parsed.data);
}

function requireId(refundRequestId: string): void {
  if (
    typeof refundRequestId !== "string" ||
    refundRequestId.length < 1 ||
    refundRequestId.length > 32
  ) {
    throw new TypeError("refundRequestId must be a string of 1 to 32 characters");
  }
}

/**
 * Turns an HTTP answer into `data` or an error (§4): HTTP status first, then the envelope's
 * `status` (success is `status === "SUCCESS"`, never `code`), then `data` against `schema`.
 */
function interpret<S extends z.ZodType>(
  operation: GatePayOperation,
  answer: RawAnswer,
  schema: S,
  secrets: readonly string[],
): z.output<S> {
  const retryAfterMs = parseRetryAfterMs(answer.retryAfter);
  let json: unknown;
  let jsonError: unknown;
  try {
    json = parseGatePayJson(answer.text);
  } catch (err) {
    jsonError = err;
  }
  const envelope = jsonError === undefined ? GatePayEnvelope.safeParse(json) : undefined;
  const ok = answer.status >= 200 && answer.status < 300;

  if (!ok || (envelope?.success === true && envelope.data.status !== "SUCCESS")) {
    const fields = envelope?.success === true ? envelope.data : undefined;
    const scrub = (text: string | undefined): string | undefined =>
      text === undefined ? undefined : (redactSecrets(text, secrets) as string);
    throw new GatePayApiError({
      operation,
      httpStatus: answer.status,
      code: scrub(fields?.code),
      label: scrub(fields?.label),
      errorMessage: scrub(fields?.errorMessage),
      retryAfterMs,
      body:
        jsonError === undefined ? redactSecrets(json, secrets) : bodyExcerpt(answer.text, secrets),
      cause: scrubCause(jsonError, secrets),
    });
  }
  const fail = (problem: string, cause: unknown): GatePayResponseError =>
    new GatePayResponseError({
      operation,
      httpStatus: answer.status,
      problem: redactSecrets(problem, secrets) as string,
      bodyExcerpt: bodyExcerpt(answer.text, secrets),
      cause: scrubCause(cause, secrets),
    });
  if (jsonError !== undefined) throw fail("body is not JSON", jsonError);
  if (envelope?.success !== true) {
    throw fail("body is not a GatePay envelope", envelope?.error);
  }
  let data: unknown;
  try {
    data = parseEnvelopeData(envelope.data.data);
  } catch (err) {
    throw fail("data is a string but not JSON", err);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.map(String).join(".") : "";
    throw fail(
      `data${path ? `.${path}` : ""} does not match: ${issue?.message ?? "invalid"}`,
      parsed.error,
    );
  }
  return parsed.data;
}

/**
 * Pause before the next attempt of a read: Retry-After when given, else 100 ms doubling
 * per attempt with jitter (50–100 % of the step), each step ≤ 1 s. Undefined: do not retry.
 */
function readRetryDelayMs(decision: FailureDecision, attempt: number): number | undefined {
  if (decision.action === "retry-after") return decision.delayMs;
  if (decision.action !== "retry") return undefined;
  const step = Math.min(100 * 2 ** (attempt - 1), 1_000);
  return Math.round(step / 2 + (Math.random() * step) / 2);
}

/** Whether `signal` has aborted (a function, so TypeScript does not keep a stale narrowing). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
