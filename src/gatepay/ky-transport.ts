/**
 * The ky transport (`GATEPAY_HTTP_CLIENT=ky`), for users who want ky's hooks (logging,
 * tracing, a proxy through a dispatcher). ky runs with its retries off (the client owns
 * retries: none for refund creations, a short budget for reads) and its own timeout off
 * (the client's timeout covers the whole answer, and arrives as the request's signal).
 * The signature is added in a `beforeRequest` hook, so any attempt ky makes carries a
 * signature made for it. Connections stay alive on an undici Agent passed to the global
 * fetch as its `dispatcher` (or the user's dispatcher).
 */
import ky, { type Hooks, type KyInstance } from "ky";
import { Agent, type Dispatcher } from "undici";
import { answerFromResponse } from "./response-answer.js";
import type { GatePayTransport, TransportAnswer, TransportRequest } from "./transport.js";

const KEEP_ALIVE_MS = 30_000;

/**
 * The option under which the hook finds the signer of the attempt ky is about to send
 * (ky hands its hooks the call's options; a string key, as ky drops symbol keys).
 */
const SIGNER = "gatepaySign";

interface SignedOptions {
  [SIGNER]?: () => Record<string, string>;
}

export class KyTransport implements GatePayTransport {
  readonly name = "ky";
  readonly #ky: KyInstance;
  readonly #owned: Agent | undefined;

  /**
   * @param hooks ky hooks of the user's; they run after the signing hook (a
   *   `beforeRequest` hook sees the signed headers and must not change the body).
   * @param dispatcher an undici dispatcher for the global fetch; default a keep-alive Agent.
   */
  constructor(hooks: Hooks = {}, dispatcher?: Dispatcher) {
    this.#owned = dispatcher ? undefined : new Agent({ keepAliveTimeout: KEEP_ALIVE_MS });
    const sign = (request: Request, options: unknown): void => {
      const signer = (options as SignedOptions)[SIGNER];
      if (!signer) throw new Error("ky transport: request without a signer");
      for (const [name, value] of Object.entries(signer())) request.headers.set(name, value);
    };
    this.#ky = ky.create({
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      hooks: { ...hooks, beforeRequest: [sign, ...(hooks.beforeRequest ?? [])] },
      // Passed by ky to fetch untouched: the global fetch takes an undici dispatcher.
      ...({ dispatcher: dispatcher ?? this.#owned } as object),
    });
  }

  async send(req: TransportRequest): Promise<TransportAnswer> {
    const response = await this.#ky(req.url, {
      method: req.method,
      ...(req.body !== undefined && { body: req.body }),
      signal: req.signal,
      ...({ [SIGNER]: () => req.sign() } as object),
    });
    return answerFromResponse(response);
  }

  async close(): Promise<void> {
    await this.#owned?.close();
  }
}
