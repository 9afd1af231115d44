/**
 * Request authentication as GatePay describes it (gatepay-api.md §2–3): Content-Type,
 * client id, timestamp window, nonce format and single use, HMAC-SHA512 signature over
 * the raw body, and `X-GatePay-On-Behalf-Of` on institution paths.
 */
import type { IncomingHttpHeaders } from "node:http";
import { GATEPAY_HEADERS, verifySignature } from "../gatepay/signing.js";
import { failure, type SandboxFailure } from "./envelope.js";

/** Which check a request failed; each kind has its own counter. */
export type AuthFailureKind =
  "contentType" | "clientId" | "timestamp" | "nonce" | "nonceReuse" | "signature" | "onBehalfOf";

/** A failed check: its kind and the GatePay failure to answer with. */
export interface AuthFailure {
  kind: AuthFailureKind;
  failure: SandboxFailure;
}

/** What {@link RequestAuthenticator.check} needs from one request. */
export interface AuthInput {
  method: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received (`""` for a GET). */
  rawBody: string;
  /** True on `/payment/open/institution/...` paths. */
  institution: boolean;
}

/** Settings of a {@link RequestAuthenticator}. */
export interface AuthSettings {
  clientId: string;
  secretKey: string;
  /** Accepted distance between the request timestamp and the sandbox clock, ms. */
  timestampWindowMs: number;
}

// gatepay-api.md §2.4: letters and digits only, at most 32 characters.
const NONCE_PATTERN = /^[A-Za-z0-9]{1,32}$/;
const TIMESTAMP_PATTERN = /^\d{1,16}$/;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

const H = {
  clientId: GATEPAY_HEADERS.clientId.toLowerCase(),
  timestamp: GATEPAY_HEADERS.timestamp.toLowerCase(),
  nonce: GATEPAY_HEADERS.nonce.toLowerCase(),
  signature: GATEPAY_HEADERS.signature.toLowerCase(),
  onBehalfOf: GATEPAY_HEADERS.onBehalfOf.toLowerCase(),
};

/**
 * Checks requests in a fixed order: Content-Type (400007, POST only), client id
 * (400004), timestamp (400003), nonce format (400020), signature (400002), nonce reuse
 * (400020), On-Behalf-Of on institution paths (400001). Reuse is checked after the
 * signature so that forged requests cannot burn a legitimate client's nonces.
 */
export class RequestAuthenticator {
  // nonce → time it may be forgotten. Insertion order is arrival order, so expired
  // entries sit at the front and pruning stops at the first live one.
  private readonly seenNonces = new Map<string, number>();

  constructor(private readonly settings: AuthSettings) {}

  /** Undefined when the request passes; otherwise the first failed check. */
  check(input: AuthInput, nowMs: number): AuthFailure | undefined {
    const h = input.headers;
    if (input.method === "POST" && !JSON_TYPE.test(h["content-type"] ?? "")) {
      return deny("contentType", "400007", "Content-Type must be application/json");
    }
    const clientId = header(h, H.clientId);
    if (clientId === undefined || clientId !== this.settings.clientId) {
      return deny("clientId", "400004", `${GATEPAY_HEADERS.clientId} is missing or unknown`);
    }
    const timestamp = header(h, H.timestamp);
    if (timestamp === undefined || !TIMESTAMP_PATTERN.test(timestamp)) {
      return deny("timestamp", "400003", `${GATEPAY_HEADERS.timestamp} must be epoch milliseconds`);
    }
    // gatepay-api.md §2.3: requests more than the window away from the server clock are
    // refused (10 s per the narrative docs, the stricter of the two statements).
    if (Math.abs(nowMs - Number(timestamp)) > this.settings.timestampWindowMs) {
      return deny("timestamp", "400003", "request timestamp is outside the accepted window");
    }
    const nonce = header(h, H.nonce);
    if (nonce === undefined || !NONCE_PATTERN.test(nonce)) {
      return deny("nonce", "400020", `${GATEPAY_HEADERS.nonce} must be 1 to 32 letters or digits`);
    }
    const signature = header(h, H.signature) ?? "";
    if (!verifySignature(this.settings.secretKey, timestamp, nonce, input.rawBody, signature)) {
      return deny("signature", "400002", "signature verification failed");
    }
    this.prune(nowMs);
    if (this.seenNonces.has(nonce)) {
      return deny("nonceReuse", "400020", "nonce was already used");
    }
    // A replay stays inside the window until timestamp + window ≤ arrival + 2 × window,
    // so remembering a nonce that long catches every replay the timestamp check admits.
    this.seenNonces.set(nonce, nowMs + 2 * this.settings.timestampWindowMs);
    if (input.institution && !header(h, H.onBehalfOf)) {
      return deny(
        "onBehalfOf",
        "400001",
        `${GATEPAY_HEADERS.onBehalfOf} is required on institution endpoints`,
      );
    }
    return undefined;
  }

  /** Forgets every nonce seen. */
  reset(): void {
    this.seenNonces.clear();
  }

  private prune(nowMs: number): void {
    for (const [nonce, forgetAt] of this.seenNonces) {
      if (forgetAt > nowMs) break;
      this.seenNonces.delete(nonce);
    }
  }
}

/** A single-valued header; undefined when absent. */
export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function deny(
  kind: AuthFailureKind,
  code: "400001" | "400002" | "400003" | "400004" | "400007" | "400020",
  message: string,
): AuthFailure {
  return { kind, failure: failure(code, message) };
}
