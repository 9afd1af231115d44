/**
 * A fetch `Response` as the client reads it (the fetch and ky transports): status,
 * `Retry-After`, the whole body as text, and when the answer arrived — stamped after the
 * body is read, so the grace clock starts no earlier than the answer did.
 */
import type { TransportAnswer } from "./transport.js";

export async function answerFromResponse(response: Response): Promise<TransportAnswer> {
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    text,
    answeredAtMs: Date.now(),
  };
}
