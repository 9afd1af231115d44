/**
 * The typed, signed GatePay refund client (gatepay-api.md §2–§6).
 *
 * Each attempt serialises the body once, signs exactly those bytes with a fresh
 * timestamp and nonce immediately before sending, and sends the same string. Refund
 * creations are never retried here (BullMQ owns those attempts, and a lost answer must
 * be looked up before any re-send, §9); status reads retry briefly on transient failures.
 * Every failure is one of the errors in errors.ts. The client never logs: it reports each
 * attempt to the optional `observer`. The HTTP exchange is a transport (transport.ts):
 * undici's `request` by default, ky, or a user's fetch.
 */
import type { z } from "zod";
import { classifyFailure } from "./classify-failure.js";
import {
  checkClientOptions,
  checkTimeoutMs,
  GATEPAY_READ_RETRY_BUDGET_MS,
  type CallOptions,
  type GatePayAttemptEvent,
  type GatePayClientOptions,
} from "./client-options.js";
import { ENDPOINTS, endpointPath, type GatePayOperation } from "./endpoints.js";
import {
  GatePayApiError,
  GatePayError,
  GatePayResponseError,
  GatePayTimeoutError,
} from "./errors.js";
import { FetchTransport } from "./fetch-transport.js";
import { interpretAnswer } from "./interpret-answer.js";
import { KyTransport } from "./ky-transport.js";
import { readRetryDelayMs, sleep } from "./read-retry.js";
import { requireRefundRequestId, serializeRequest } from "./request-body.js";
import {
  ConvertRefundRequest,
  ConvertRefundResult,
  OrderRefundRequest,
  OrderRefundResult,
  RefundDetails,
  RefundQueryV1Request,
  RefundQueryV1Result,
  type ConvertRefundRequestInput,
} from "./schemas.js";
import { sendAttempt } from "./send-attempt.js";
import { attemptTimeoutMs } from "./send-deadline.js";
import { buildSignedHeaders, GATEPAY_HEADERS } from "./signing.js";
import { traceGatePayCall } from "./tracing.js";
import { GATEPAY_DEFAULT_HTTP_CLIENT, type GatePayTransport } from "./transport.js";
import { UndiciTransport } from "./undici-transport.js";

export * from "./client-options.js";
export * from "./transport.js";

/** GatePay's answer for a refund id it does not know (§6.5). */
const UNKNOWN_REFUND_CODE = "400304";

interface Call<S extends z.ZodType> {
  body?: string;
  query?: string;
  schema: S;
  opts: CallOptions | undefined;
  unknownAsNull?: boolean;
}

interface OneAttempt<S extends z.ZodType> {
  operation: GatePayOperation;
  method: "GET" | "POST";
  url: string;
  body: string | undefined;
  onBehalfOf: string | undefined;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  schema: S;
}

/** Typed, signed calls to GatePay's refund endpoints. */
export class GatePayClient {
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly onBehalfOf: string | undefined;
  readonly timeoutMs: number;
  readonly readRetries: number;
  /** The transport's name: `undici`, `ky` or `fetch`. */
  readonly httpClient: string;
  // Private fields: inspecting or serialising a client never shows the secret.
  readonly #secretKey: string | { reveal(): string };
  readonly #transport: GatePayTransport;
  readonly #observer: ((event: GatePayAttemptEvent) => void) | undefined;

  /** @throws TypeError / RangeError on invalid options (values are not echoed). */
  constructor(options: GatePayClientOptions) {
    const { timeoutMs, readRetries } = checkClientOptions(options);
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.clientId = options.clientId;
    this.onBehalfOf = options.onBehalfOf || undefined;
    this.timeoutMs = timeoutMs;
    this.readRetries = readRetries;
    this.#secretKey = options.secretKey;
    this.#observer = options.observer;
    if (options.fetch) {
      this.#transport = new FetchTransport(options.fetch);
    } else if ((options.httpClient ?? GATEPAY_DEFAULT_HTTP_CLIENT) === "ky") {
      this.#transport = new KyTransport(options.kyHooks, options.dispatcher);
    } else {
      this.#transport = new UndiciTransport(options.dispatcher);
    }
    this.httpClient = this.#transport.name;
  }

  /** Closes the connections of the client's own keep-alive pool (not a user dispatcher). */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  /**
   * `POST /v1/pay/order/refund` (institution: `/payment/open/institution/v1/pay/order/refund`).
   * Acceptance only: the outcome comes by webhook or status query (§6.1). One attempt.
   * @throws TypeError when `req` does not match {@link OrderRefundRequest} (nothing is sent).
   * @throws GatePayError subclasses; see classify-failure.ts for what each means.
   */
  async createOrderRefund(req: OrderRefundRequest, opts?: CallOptions): Promise<OrderRefundResult> {
    const body = serializeRequest(OrderRefundRequest, req, "OrderRefundRequest");
    return traceGatePayCall("orderRefund", req.refundRequestId, () =>
      this.#call("orderRefund", { body, schema: OrderRefundResult, opts }),
    );
  }

  /**
   * `POST /v1/pay/address/refundconvert` (institution path likewise), for convert
   * (flash-swap) address orders (§5.4). One attempt. `receiverId` goes on the wire as a
   * JSON number (README, "GatePay wire notes"); digits in a string are accepted.
   * @throws TypeError when `req` does not match {@link ConvertRefundRequest} (nothing is sent).
   */
  async createConvertRefund(
    req: ConvertRefundRequestInput,
    opts?: CallOptions,
  ): Promise<ConvertRefundResult> {
    const body = serializeRequest(ConvertRefundRequest, req, "ConvertRefundRequest");
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
    requireRefundRequestId(refundRequestId);
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
    requireRefundRequestId(refundRequestId);
    const body = serializeRequest(RefundQueryV1Request, { refundRequestId }, "refundRequestId");
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
    call: Call<S> & { unknownAsNull?: false },
  ): Promise<z.output<S>>;
  async #call<S extends z.ZodType>(
    operation: GatePayOperation,
    call: Call<S> & { unknownAsNull: true },
  ): Promise<z.output<S> | null>;
  async #call<S extends z.ZodType>(
    operation: GatePayOperation,
    call: Call<S>,
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
    const timeoutMs = checkTimeoutMs(call.opts?.timeoutMs ?? this.timeoutMs);
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

  /** One signed attempt: sign as it leaves, send, interpret, report to the observer. */
  async #attempt<S extends z.ZodType>(a: OneAttempt<S>): Promise<z.output<S>> {
    const secret = typeof this.#secretKey === "string" ? this.#secretKey : this.#secretKey.reveal();
    const secrets = [secret];
    // §3.2/§3.3: sign exactly the bytes sent; a GET signs "" and its query is not signed.
    // Signed when the transport is about to send: the timestamp window may be 10 s (§2.3).
    const sign = (): Record<string, string> => {
      const headers = buildSignedHeaders({
        clientId: this.clientId,
        secret,
        body: a.body ?? "",
        onBehalfOf: a.onBehalfOf,
      });
      secrets.push(headers[GATEPAY_HEADERS.signature] ?? "");
      return headers;
    };
    const started = performance.now();
    let answered: number | undefined;
    try {
      const answer = await sendAttempt(this.#transport, {
        operation: a.operation,
        method: a.method,
        url: a.url,
        body: a.body,
        sign,
        timeoutMs: a.timeoutMs,
        signal: a.signal,
      });
      answered = answer.answeredAtMs;
      const data = interpretAnswer(a.operation, answer, a.schema, secrets);
      this.#report(a, started, "ok", answer.status, undefined);
      return data;
    } catch (err) {
      if (err instanceof GatePayApiError) {
        if (answered !== undefined) err.answeredAtMs = answered;
        this.#report(a, started, "api-error", err.httpStatus, err.code);
      } else if (err instanceof GatePayResponseError) {
        if (answered !== undefined) err.answeredAtMs = answered;
        this.#report(a, started, "response-error", err.httpStatus, undefined);
      } else if (err instanceof GatePayTimeoutError) {
        this.#report(a, started, "timeout", undefined, undefined);
      } else {
        this.#report(a, started, "connection-error", undefined, undefined);
      }
      throw err;
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
