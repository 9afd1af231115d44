/**
 * sendAttempt's per-attempt timeout (src/gatepay/send-attempt.ts): a timer of its own,
 * stopped once the answer is in, aborting with what AbortSignal.timeout aborted with.
 */
import { describe, expect, it } from "vitest";
import { GatePayConnectionError, GatePayTimeoutError } from "../../src/gatepay/errors.js";
import { sendAttempt, type AttemptRequest } from "../../src/gatepay/send-attempt.js";
import type { GatePayTransport, TransportRequest } from "../../src/gatepay/transport.js";

const request = (timeoutMs: number, signal?: AbortSignal): AttemptRequest => ({
  operation: "orderRefund",
  method: "POST",
  url: "http://gatepay.test/v1/pay/order/refund",
  body: "{}",
  sign: () => ({}),
  timeoutMs,
  signal,
});

/** A transport that answers only when its signal aborts, with the abort's reason. */
function hanging(seen: AbortSignal[]): GatePayTransport {
  return {
    name: "hanging",
    send: (req: TransportRequest) =>
      new Promise((_resolve, reject) => {
        seen.push(req.signal);
        req.signal.addEventListener("abort", () => reject(req.signal.reason as Error));
      }),
    close: () => Promise.resolve(),
  };
}

describe("sendAttempt's timeout", () => {
  it("aborts a request with no answer with a TimeoutError and reports a timeout", async () => {
    const seen: AbortSignal[] = [];
    const err = await sendAttempt(hanging(seen), request(20)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatePayTimeoutError);
    expect((err as GatePayTimeoutError).timeoutMs).toBe(20);
    const reason = seen[0]?.reason as DOMException;
    expect(reason).toBeInstanceOf(DOMException);
    expect(reason.name).toBe("TimeoutError");
    expect(reason.message).toBe("The operation was aborted due to timeout");
  });

  it("leaves the signal alone once the answer is in", async () => {
    let signal: AbortSignal | undefined;
    const transport: GatePayTransport = {
      name: "instant",
      send: (req) => {
        signal = req.signal;
        return Promise.resolve({ status: 200, retryAfter: null, text: "{}", answeredAtMs: 0 });
      },
      close: () => Promise.resolve(),
    };
    await sendAttempt(transport, request(15));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(signal?.aborted).toBe(false);
  });

  it("an aborted caller's signal still wins over the timeout", async () => {
    const caller = new AbortController();
    const seen: AbortSignal[] = [];
    const sending = sendAttempt(hanging(seen), request(10_000, caller.signal));
    caller.abort(new Error("shutdown"));
    const err = await sending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatePayConnectionError);
    expect(err).not.toBeInstanceOf(GatePayTimeoutError);
  });

  it("refuses a delay no timer can hold, as AbortSignal.timeout did", async () => {
    await expect(sendAttempt(hanging([]), request(2 ** 32))).rejects.toThrow(RangeError);
  });
});
