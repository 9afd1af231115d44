/**
 * The HTTP exchange under the GatePay client, behind one small interface so the client
 * can run on undici's `request` (the default: the fastest, BENCHMARKS.md "The HTTP
 * client"), on ky (hooks, instrumentation) or on any fetch. A transport sends one
 * attempt and returns the raw answer; it never retries, never parses, and never decides
 * what a failure means: the client maps every throw to its error tree (send-attempt.ts).
 */

/** The transports `GATEPAY_HTTP_CLIENT` names. */
export const GATEPAY_HTTP_CLIENTS = ["undici", "ky"] as const;
/** One of {@link GATEPAY_HTTP_CLIENTS}. */
export type GatePayHttpClient = (typeof GATEPAY_HTTP_CLIENTS)[number];
/** The default transport: undici's `request`, measured the faster of the two. */
export const GATEPAY_DEFAULT_HTTP_CLIENT: GatePayHttpClient = "undici";

/** One attempt, as the client hands it to a transport. */
export interface TransportRequest {
  method: "GET" | "POST";
  /** Absolute URL, query included. */
  url: string;
  /** The exact bytes that were signed; undefined for a GET. */
  body: string | undefined;
  /**
   * The GatePay headers for this attempt, signed with a fresh timestamp and nonce. A
   * transport calls it once, as late as it can (the timestamp window may be 10 s,
   * gatepay-api.md §2.3); ky calls it from a `beforeRequest` hook.
   */
  sign(): Record<string, string>;
  /** Aborts the attempt: the client's timeout combined with the caller's signal. */
  signal: AbortSignal;
}

/** A raw HTTP answer. */
export interface TransportAnswer {
  status: number;
  /** The `Retry-After` header, if any. */
  retryAfter: string | null;
  /** The whole body as text. */
  text: string;
  /** Epoch ms (local clock) when the whole answer had arrived. */
  answeredAtMs: number;
}

/** Sends one attempt; throws on any failure to get a complete answer. */
export interface GatePayTransport {
  /** `undici`, `ky` or `fetch`. */
  readonly name: string;
  send(req: TransportRequest): Promise<TransportAnswer>;
  /** Releases connections the transport owns (not a dispatcher the user gave it). */
  close(): Promise<void>;
}
