/**
 * GatePay request and webhook signing (gatepay-api.md §3).
 *
 * String-to-sign is three lines, each ending in `\n`: the `X-GatePay-Timestamp` value
 * (epoch milliseconds), the `X-GatePay-Nonce` value and the raw body (`""` for a GET).
 * The key is the Payment API Secret as raw UTF-8 bytes; the output is lowercase hex
 * HMAC-SHA512 (128 characters). Method, path, query and other headers are not signed.
 *
 * Pure: the clock and the nonce are arguments, so the known-answer vectors test it.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Header names GatePay reads on every request (gatepay-api.md §2.2). */
export const GATEPAY_HEADERS = {
  clientId: "X-GatePay-Certificate-ClientId",
  timestamp: "X-GatePay-Timestamp",
  nonce: "X-GatePay-Nonce",
  signature: "X-GatePay-Signature",
  onBehalfOf: "X-GatePay-On-Behalf-Of",
} as const;

const NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SIGNATURE_HEX = /^[0-9a-fA-F]{128}$/;

/** Lowercase-hex HMAC-SHA512 of `timestamp\nnonce\nbody\n` keyed by `secret`. */
export function signPayload(
  secret: string,
  timestampMs: number | string,
  nonce: string,
  body: string,
): string {
  return createHmac("sha512", secret)
    .update(`${String(timestampMs)}\n${nonce}\n${body}\n`, "utf8")
    .digest("hex");
}

/**
 * Crypto-random bytes for nonces, drawn 32 nonces' worth at a time: one `randomInt` call
 * per character (32 per request) cost more CPU than the HMAC. No byte serves two nonces.
 */
const NONCE_POOL_BYTES = 1024;
const NONCE_BYTE_LIMIT = 256 - (256 % NONCE_ALPHABET.length);
let noncePool = Buffer.alloc(0);
let noncePoolOffset = 0;

/**
 * A crypto-random nonce of letters and digits. GatePay recommends ≤ 32 characters
 * (gatepay-api.md §2.4); every request, including each retry, gets a fresh one.
 */
export function generateNonce(length = 32): string {
  if (!Number.isInteger(length) || length < 1 || length > 32) {
    throw new RangeError(`nonce length must be an integer from 1 to 32 (got ${length})`);
  }
  let out = "";
  while (out.length < length) {
    if (noncePoolOffset >= noncePool.length) {
      noncePool = randomBytes(NONCE_POOL_BYTES);
      noncePoolOffset = 0;
    }
    const byte = noncePool[noncePoolOffset++]!;
    // Rejection sampling keeps every character equally likely: 248 = 4 × 62, so the bytes
    // below it map evenly onto the alphabet and the 8 above are skipped.
    if (byte < NONCE_BYTE_LIMIT) out += NONCE_ALPHABET[byte % NONCE_ALPHABET.length];
  }
  return out;
}

/**
 * Constant-time check of a received signature (webhooks, and the sandbox checking
 * requests). The received hex is compared case-insensitively and must be exactly 128
 * hex characters; anything else is false, never an exception.
 */
export function verifySignature(
  secret: string,
  timestampMs: number | string,
  nonce: string,
  body: string,
  signature: string,
): boolean {
  if (!SIGNATURE_HEX.test(signature)) return false;
  const expected = Buffer.from(signPayload(secret, timestampMs, nonce, body), "hex");
  const received = Buffer.from(signature.toLowerCase(), "hex");
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** Inputs of one signed request; `timestampMs` and `nonce` default to now and a fresh nonce. */
export interface SignedHeadersInput {
  clientId: string;
  secret: string;
  body: string;
  onBehalfOf?: string | undefined;
  timestampMs?: number;
  nonce?: string;
}

/**
 * The full GatePay header set for one request attempt. Call it immediately before
 * sending: the timestamp window may be as short as 10 s (gatepay-api.md §2.3).
 */
export function buildSignedHeaders(input: SignedHeadersInput): Record<string, string> {
  const timestamp = String(input.timestampMs ?? Date.now());
  const nonce = input.nonce ?? generateNonce();
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    [GATEPAY_HEADERS.clientId]: input.clientId,
    [GATEPAY_HEADERS.timestamp]: timestamp,
    [GATEPAY_HEADERS.nonce]: nonce,
    [GATEPAY_HEADERS.signature]: signPayload(input.secret, timestamp, nonce, input.body),
  };
  if (input.onBehalfOf) headers[GATEPAY_HEADERS.onBehalfOf] = input.onBehalfOf;
  return headers;
}
