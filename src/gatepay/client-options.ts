/**
 * Options of the GatePay client, their defaults, and the per-attempt event its observer
 * receives.
 */
import type { Hooks } from "ky";
import type { Dispatcher } from "undici";
import type { GatePayOperation } from "./endpoints.js";
import type { GatePayHttpClient } from "./transport.js";

/** Default per-attempt timeout, milliseconds. */
export const GATEPAY_DEFAULT_TIMEOUT_MS = 10_000;
/** Default number of extra attempts for status reads. */
export const GATEPAY_DEFAULT_READ_RETRIES = 2;
/** Most a read may spend sleeping between its attempts, milliseconds. */
export const GATEPAY_READ_RETRY_BUDGET_MS = 2_000;

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

/** Options of the GatePay client. */
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
   * The HTTP transport (`GATEPAY_HTTP_CLIENT`): `undici` (default, undici's `request` on
   * a keep-alive Agent: the fastest) or `ky` (ky 1.x over the global fetch, for its hooks).
   * Ignored when `fetch` is given.
   */
  httpClient?: GatePayHttpClient;
  /**
   * An undici dispatcher (a ProxyAgent, an Agent with mTLS `connect` options or another
   * pool size) for either transport; default a keep-alive Agent of the client's own.
   * The client never closes a dispatcher it was given.
   */
  dispatcher?: Dispatcher;
  /**
   * ky hooks, with `httpClient: "ky"`. They run after the client's signing hook; a
   * `beforeRequest` hook may add headers but must not change the body (it is signed).
   * Retries stay off whatever the hooks do: the client owns them.
   */
  kyHooks?: Hooks;
  /**
   * A fetch to use instead of either transport, e.g. one that goes through a proxy or
   * instruments calls. The client's timeout still applies through the request's signal.
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

/** Checks a timeout option. @throws RangeError (the value is not echoed). */
export function checkTimeoutMs(timeoutMs: number): number {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new RangeError("GatePayClient: timeoutMs must be a positive integer");
  }
  return timeoutMs;
}

/** Checks the options that need no I/O. @throws TypeError / RangeError. */
export function checkClientOptions(options: GatePayClientOptions): {
  timeoutMs: number;
  readRetries: number;
} {
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
  if (
    options.httpClient !== undefined &&
    options.httpClient !== "undici" &&
    options.httpClient !== "ky"
  ) {
    throw new TypeError('GatePayClient: httpClient must be "undici" or "ky"');
  }
  const timeoutMs = checkTimeoutMs(options.timeoutMs ?? GATEPAY_DEFAULT_TIMEOUT_MS);
  const readRetries = options.readRetries ?? GATEPAY_DEFAULT_READ_RETRIES;
  if (!Number.isInteger(readRetries) || readRetries < 0 || readRetries > 10) {
    throw new RangeError("GatePayClient: readRetries must be an integer from 0 to 10");
  }
  return { timeoutMs, readRetries };
}
