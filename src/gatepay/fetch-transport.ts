/**
 * A transport over a user-supplied fetch (the client's `fetch` option): a proxy-aware
 * fetch, an instrumented one, or the global fetch. The signature is made immediately
 * before the call.
 */
import { answerFromResponse } from "./response-answer.js";
import type { GatePayTransport, TransportAnswer, TransportRequest } from "./transport.js";

export class FetchTransport implements GatePayTransport {
  readonly name = "fetch";
  constructor(private readonly fetchFn: typeof globalThis.fetch) {}

  async send(req: TransportRequest): Promise<TransportAnswer> {
    const response = await this.fetchFn(req.url, {
      method: req.method,
      headers: req.sign(),
      ...(req.body !== undefined && { body: req.body }),
      signal: req.signal,
    });
    return answerFromResponse(response);
  }

  async close(): Promise<void> {
    // The fetch belongs to the caller.
  }
}
