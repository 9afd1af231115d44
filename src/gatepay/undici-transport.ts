/**
 * The default transport: undici's `request` on a keep-alive Agent. It allocates far less
 * per call than any fetch (BENCHMARKS.md "The HTTP client"), and the event loop, not
 * Redis, bounds a worker. A user `dispatcher` (proxy, mTLS, pool size) replaces the
 * client's own Agent and is never closed by the client.
 */
import { Agent, request, type Dispatcher } from "undici";
import type { GatePayTransport, TransportAnswer, TransportRequest } from "./transport.js";

/** Keep-alive connections are reused this long after their last answer, ms. */
const KEEP_ALIVE_MS = 30_000;

export class UndiciTransport implements GatePayTransport {
  readonly name = "undici";
  readonly #dispatcher: Dispatcher;
  readonly #owned: Agent | undefined;

  constructor(dispatcher?: Dispatcher) {
    this.#owned = dispatcher ? undefined : new Agent({ keepAliveTimeout: KEEP_ALIVE_MS });
    this.#dispatcher = dispatcher ?? (this.#owned as Agent);
  }

  async send(req: TransportRequest): Promise<TransportAnswer> {
    const response = await request(req.url, {
      method: req.method,
      headers: req.sign(),
      ...(req.body !== undefined && { body: req.body }),
      signal: req.signal,
      dispatcher: this.#dispatcher,
    });
    const text = await response.body.text();
    const retryAfter = response.headers["retry-after"];
    return {
      status: response.statusCode,
      retryAfter: (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null,
      text,
      answeredAtMs: Date.now(),
    };
  }

  async close(): Promise<void> {
    await this.#owned?.close();
  }
}
