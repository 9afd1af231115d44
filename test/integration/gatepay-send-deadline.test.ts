/**
 * The send deadline of a GatePay call (`CallOptions.sendBy`, src/gatepay/send-deadline.ts)
 * over real HTTP: a capture server on 127.0.0.1:0 shows what arrived. The submit worker
 * passes its lease's end minus a margin, so a run that stalled past its lease cannot send.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classifyFailure } from "../../src/gatepay/classify-failure.js";
import { GatePayClient, type GatePayAttemptEvent } from "../../src/gatepay/client.js";
import { GatePayTimeoutError } from "../../src/gatepay/errors.js";
import { attemptTimeoutMs, GatePaySendDeadlineError } from "../../src/gatepay/send-deadline.js";
import { startCaptureServer, type CaptureServer } from "../helpers/capture-server.js";

const ORDER = { refundRequestId: "rr-1", prepayId: "1991810932510167040", refundAmount: "0.8" };
const ok = (data: unknown) => ({ body: { status: "SUCCESS", code: "000000", data } });

let server: CaptureServer;
let events: GatePayAttemptEvent[];

beforeEach(async () => {
  server = await startCaptureServer();
  events = [];
});

afterEach(async () => {
  await server.close();
});

function client(timeoutMs = 5_000): GatePayClient {
  return new GatePayClient({
    baseUrl: server.url,
    clientId: "client-abc",
    secretKey: "Sup3rSecretPaymentKey-do-not-leak",
    timeoutMs,
    observer: (e) => events.push(e),
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

describe("send deadline", () => {
  it("a passed deadline sends nothing: the error says the request never left", async () => {
    const err = await rejection(client().createOrderRefund(ORDER, { sendBy: Date.now() - 1 }));
    expect(err).toBeInstanceOf(GatePaySendDeadlineError);
    expect((err as GatePaySendDeadlineError).requestMayHaveReached).toBe(false);
    expect((err as Error).message).toMatch(/nothing was sent/);
    // "Never left" is a plain retry for a creation, not an unknown outcome.
    expect(classifyFailure(err, "orderRefund").action).toBe("retry");
    expect(server.requests).toHaveLength(0);
    expect(events).toEqual([]);
  });

  it("a read past its deadline is not retried either", async () => {
    const err = await rejection(client().getRefundDetails("rr-1", { sendBy: Date.now() - 1 }));
    expect(err).toBeInstanceOf(GatePaySendDeadlineError);
    expect(server.requests).toHaveLength(0);
  });

  it("the request's timeout is cut to end by the deadline", async () => {
    server.enqueue({ delayMs: 4_000, ...ok({ refundRequestId: "rr-1" }) });
    // Room for the request to leave on a loaded machine; the server answers only after 4 s.
    const sendBy = Date.now() + 2_000;
    const err = await rejection(client(5_000).createOrderRefund(ORDER, { sendBy }));
    expect(err).toBeInstanceOf(GatePayTimeoutError);
    // The POST did leave: this one is an unknown outcome, as any timeout.
    expect(classifyFailure(err, "orderRefund").action).toBe("unknown-outcome");
    expect((err as GatePayTimeoutError).timeoutMs).toBeLessThanOrEqual(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it("a deadline later than the timeout leaves the timeout alone", async () => {
    server.enqueue(ok({ refundRequestId: "rr-1" }));
    await client(5_000).createOrderRefund(ORDER, { sendBy: Date.now() + 60_000 });
    expect(server.requests).toHaveLength(1);
    expect(attemptTimeoutMs("orderRefund", 5_000, 1_060_000, 1_000_000)).toBe(5_000);
    expect(attemptTimeoutMs("orderRefund", 5_000, 1_000_250.7, 1_000_000)).toBe(250);
    expect(attemptTimeoutMs("orderRefund", 5_000, undefined, 1_000_000)).toBe(5_000);
    expect(() => attemptTimeoutMs("orderRefund", 5_000, 1_000_000.5, 1_000_000)).toThrow(
      GatePaySendDeadlineError,
    );
  });
});
