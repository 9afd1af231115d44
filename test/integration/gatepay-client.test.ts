/**
 * GatePayClient over real HTTP: a capture server on 127.0.0.1:0 records what arrived and
 * answers from a script. Nothing is stubbed; assertions are on the bytes received.
 */
import { createServer } from "node:net";
import { inspect } from "node:util";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classifyFailure } from "../../src/gatepay/classify-failure.js";
import {
  GATEPAY_HTTP_CLIENTS,
  GatePayClient,
  type GatePayAttemptEvent,
  type GatePayClientOptions,
  type GatePayHttpClient,
} from "../../src/gatepay/client.js";
import {
  GatePayApiError,
  GatePayConnectionError,
  GatePayError,
  GatePayResponseError,
  GatePayTimeoutError,
} from "../../src/gatepay/errors.js";
import { verifySignature } from "../../src/gatepay/signing.js";
import {
  startCaptureServer,
  type CaptureServer,
  type CapturedRequest,
} from "../helpers/capture-server.js";

const SECRET = "Sup3rSecretPaymentKey-do-not-leak";
const CLIENT_ID = "client-abc";
const SUB_ACCOUNT = "10002";

const ORDER = { refundRequestId: "rr-1", prepayId: "1991810932510167040", refundAmount: "0.8" };
const ORDER_BYTES =
  '{"refundRequestId":"rr-1","prepayId":"1991810932510167040","refundAmount":"0.8"}';
const CONVERT = {
  refundRequestId: "cv-1",
  prepayId: "1647438500687506",
  refundOrderCurrency: "USDT",
  refundOrderAmount: "10.50",
  refundPayCurrency: "BTC",
  refundPayAmount: "0.000123",
  receiverId: "10001",
  refundReason: "customer request: café",
};
const CONVERT_BYTES =
  '{"refundRequestId":"cv-1","prepayId":"1647438500687506","refundOrderCurrency":"USDT","refundOrderAmount":"10.50","refundPayCurrency":"BTC","refundPayAmount":"0.000123","receiverId":10001,"refundReason":"customer request: café"}';

const ok = (data: unknown) => ({ body: { status: "SUCCESS", code: "000000", data } });
const fail = (code: string | number, httpStatus = 200) => ({
  status: httpStatus,
  body: { status: "FAIL", code, label: "LABEL", errorMessage: "message", data: {} },
});

let server: CaptureServer;
let events: GatePayAttemptEvent[];
/** The transport every contract test below runs on (each runs once per transport). */
let httpClient: GatePayHttpClient;
let clients: GatePayClient[] = [];

function client(overrides: Partial<GatePayClientOptions> = {}): GatePayClient {
  const c = new GatePayClient({
    baseUrl: server.url,
    clientId: CLIENT_ID,
    secretKey: SECRET,
    httpClient,
    observer: (e) => events.push(e),
    ...overrides,
  });
  clients.push(c);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

/** Asserts the GatePay headers and that the signature verifies over the bytes received. */
function expectSigned(req: CapturedRequest, onBehalfOf: string | undefined): void {
  const h = req.headers;
  expect(h["content-type"]).toBe("application/json");
  expect(h["x-gatepay-certificate-clientid"]).toBe(CLIENT_ID);
  expect(h["x-gatepay-timestamp"]).toMatch(/^\d{13}$/);
  expect(Math.abs(Number(h["x-gatepay-timestamp"]) - req.receivedAtMs)).toBeLessThan(5_000);
  expect(h["x-gatepay-nonce"]).toMatch(/^[A-Za-z0-9]{32}$/);
  expect(h["x-gatepay-signature"]).toMatch(/^[0-9a-f]{128}$/);
  expect(h["x-gatepay-on-behalf-of"]).toBe(onBehalfOf);
  const valid = verifySignature(
    SECRET,
    String(h["x-gatepay-timestamp"]),
    String(h["x-gatepay-nonce"]),
    req.body,
    String(h["x-gatepay-signature"]),
  );
  expect(valid).toBe(true);
}

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

beforeEach(async () => {
  server = await startCaptureServer();
  events = [];
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await server.close();
});

describe.each(GATEPAY_HTTP_CLIENTS)("over the %s transport", (transport) => {
  beforeEach(() => {
    httpClient = transport;
  });

  it("uses the transport asked for", () => {
    expect(client().httpClient).toBe(transport);
  });

  describe.each([
    { mode: "merchant", onBehalfOf: undefined, prefix: "" },
    { mode: "institution", onBehalfOf: SUB_ACCOUNT, prefix: "/payment/open/institution" },
  ])("$mode mode: method, path, headers, exact bytes, signature", ({ onBehalfOf, prefix }) => {
    it("createOrderRefund", async () => {
      server.enqueue(
        ok({
          refundRequestId: "rr-1",
          prepayId: "1991810932510167040",
          orderAmount: "1",
          refundAmount: "0.8",
        }),
      );
      const result = await client({ onBehalfOf }).createOrderRefund(ORDER);
      expect(result).toEqual({
        refundRequestId: "rr-1",
        prepayId: "1991810932510167040",
        orderAmount: "1",
        refundAmount: "0.8",
      });
      const [req] = await server.waitForRequests(1);
      expect(req!.method).toBe("POST");
      expect(req!.url).toBe(`${prefix}/v1/pay/order/refund`);
      expect(req!.rawBody.equals(Buffer.from(ORDER_BYTES, "utf8"))).toBe(true);
      expect(req!.headers["content-length"]).toBe(String(Buffer.byteLength(ORDER_BYTES)));
      expectSigned(req!, onBehalfOf);
    });

    it("createConvertRefund (multi-byte UTF-8 in the body)", async () => {
      server.enqueue(ok({ refundRequestId: "cv-1", refundPayAmount: "0.000123" }));
      const result = await client({ onBehalfOf }).createConvertRefund(CONVERT);
      expect(result.refundPayAmount).toBe("0.000123");
      const [req] = await server.waitForRequests(1);
      expect(req!.method).toBe("POST");
      expect(req!.url).toBe(`${prefix}/v1/pay/address/refundconvert`);
      expect(req!.rawBody.equals(Buffer.from(CONVERT_BYTES, "utf8"))).toBe(true);
      expectSigned(req!, onBehalfOf);
    });

    it("getRefundDetails: GET, no body, signed over the empty string, query unsigned", async () => {
      server.enqueue(ok({ refundRequestId: "a b&c", status: "PROCESSING", refund_style: "2" }));
      const details = await client({ onBehalfOf }).getRefundDetails("a b&c");
      expect(details).toMatchObject({ refundRequestId: "a b&c", status: "PROCESSING" });
      expect(details?.refund_style).toBe(2);
      const [req] = await server.waitForRequests(1);
      expect(req!.method).toBe("GET");
      expect(req!.url).toBe(`${prefix}/v2/pay/refund/details?refundRequestId=a%20b%26c`);
      expect(req!.rawBody.length).toBe(0);
      expectSigned(req!, onBehalfOf);
    });
  });

  describe("per-call institution mode and refundQueryV1", () => {
    it("a per-call onBehalfOf overrides the client's; an empty one means unset", async () => {
      server.enqueue(ok({ refundRequestId: "rr-1" }), ok({ refundRequestId: "rr-1" }));
      const c = client({ onBehalfOf: "999" });
      await c.createOrderRefund(ORDER, { onBehalfOf: SUB_ACCOUNT });
      await client().createOrderRefund(ORDER, { onBehalfOf: "" });
      const [a, b] = await server.waitForRequests(2);
      expect(a!.url).toBe("/payment/open/institution/v1/pay/order/refund");
      expect(a!.headers["x-gatepay-on-behalf-of"]).toBe(SUB_ACCOUNT);
      expect(b!.url).toBe("/v1/pay/order/refund");
      expect(b!.headers["x-gatepay-on-behalf-of"]).toBeUndefined();
    });

    it("queryRefundV1: signed POST with {refundRequestId}", async () => {
      server.enqueue(ok({ refundRequestId: "rr-1", refundStatus: "SUCCESS" }));
      const result = await client().queryRefundV1("rr-1");
      expect(result).toEqual({ refundRequestId: "rr-1", refundStatus: "SUCCESS" });
      const [req] = await server.waitForRequests(1);
      expect(req!.method).toBe("POST");
      expect(req!.url).toBe("/v1/pay/order/refund/query");
      expect(req!.body).toBe('{"refundRequestId":"rr-1"}');
      expectSigned(req!, undefined);
    });

    it("queryRefundV1 in institution mode fails before sending anything", async () => {
      const err = await rejection(client({ onBehalfOf: SUB_ACCOUNT }).queryRefundV1("rr-1"));
      expect(err).toBeInstanceOf(GatePayError);
      expect((err as Error).message).toMatch(/institution/);
      expect(classifyFailure(err, "refundQueryV1").action).toBe("halt");
      expect(server.requests).toHaveLength(0);
    });

    it("an invalid request is refused before sending, naming the fields", async () => {
      const err = await rejection(
        client().createOrderRefund({ ...ORDER, refundAmount: "1.0000001", prepayId: "" }),
      );
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe(
        "invalid OrderRefundRequest: prepayId, refundAmount must be a decimal string with at most 6 decimals (§4.1)",
      );
      expect(server.requests).toHaveLength(0);
    });
  });

  describe("receiverId goes on the wire as a JSON number", () => {
    it("digits in a string and a number send the same bytes", async () => {
      server.enqueue(ok({ refundRequestId: "cv-1" }), ok({ refundRequestId: "cv-1" }));
      await client().createConvertRefund(CONVERT);
      await client().createConvertRefund({ ...CONVERT, receiverId: 10001 });
      const [a, b] = await server.waitForRequests(2);
      expect(a!.body).toBe(CONVERT_BYTES);
      expect(b!.body).toBe(CONVERT_BYTES);
    });

    it.each([
      ["0", "zero"],
      ["-5", "negative"],
      ["12a", "not digits"],
      ["007", "a leading zero"],
      ["9007199254740993", "above 2^53"],
      [1.5, "a fraction"],
    ])(
      "refuses %s (%s) before sending, naming the field and the reason",
      async (receiverId: string | number, _why: string) => {
        const err = await rejection(client().createConvertRefund({ ...CONVERT, receiverId }));
        expect(err).toBeInstanceOf(TypeError);
        expect((err as Error).message).toBe(
          "invalid ConvertRefundRequest: receiverId must be a positive safe integer",
        );
        expect(server.requests).toHaveLength(0);
      },
    );
  });

  describe("answered failures carry when the answer arrived", () => {
    it("HTTP 500 300000: answeredAtMs lies between the call and the throw", async () => {
      server.enqueue(fail("300000", 500));
      const before = Date.now();
      const err = await rejection(client().createOrderRefund(ORDER));
      const after = Date.now();
      expect(err).toBeInstanceOf(GatePayApiError);
      const at = (err as GatePayApiError).answeredAtMs!;
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    });

    it("a dropped connection has no answer time", async () => {
      server.enqueue({ drop: true });
      const err = await rejection(client().createOrderRefund(ORDER));
      expect(err).toBeInstanceOf(GatePayConnectionError);
      expect((err as GatePayConnectionError).answeredAtMs).toBeUndefined();
    });
  });

  describe("a user dispatcher", () => {
    it("carries every request, and the client does not close it", async () => {
      let connections = 0;
      const connector = buildConnector({});
      const agent = new Agent({
        connect: (opts, cb) => {
          connections++;
          return connector(opts, cb);
        },
      });
      try {
        server.enqueue(ok({ refundRequestId: "rr-1" }), ok({ refundRequestId: "rr-1" }));
        const c = client({ dispatcher: agent });
        await c.createOrderRefund(ORDER);
        await c.createOrderRefund(ORDER);
        await c.close();
        // Our connector opened the connections: the requests went through our Agent.
        expect(connections).toBeGreaterThanOrEqual(1);
        expect(agent.closed).toBe(false);
        expect(server.requests).toHaveLength(2);
      } finally {
        await agent.close();
      }
    });
  });

  describe("answers", () => {
    it("data sent as a JSON string is parsed, big ids kept exact", async () => {
      server.enqueue({
        body: `{"status":"SUCCESS","code":null,"data":"{\\"refundRequestId\\":\\"rr-1\\",\\"prepayId\\":1991810932510167040,\\"refundAmount\\":\\"0.8\\"}"}`,
      });
      const result = await client().createOrderRefund(ORDER);
      expect(result.prepayId).toBe("1991810932510167040");
    });

    it("400304 on a status read means GatePay does not know the refund: null", async () => {
      server.enqueue(fail("400304"), fail(400304));
      expect(await client().getRefundDetails("nope")).toBeNull();
      expect(await client().queryRefundV1("nope")).toBeNull();
      expect(server.requests).toHaveLength(2);
    });

    it("HTTP 200 + status FAIL is a GatePayApiError with the code as a string", async () => {
      server.enqueue(fail(400608));
      const err = await rejection(client().createOrderRefund(ORDER));
      expect(err).toBeInstanceOf(GatePayApiError);
      expect(err).toMatchObject({
        httpStatus: 200,
        code: "400608",
        label: "LABEL",
        errorMessage: "message",
      });
      expect(classifyFailure(err, "orderRefund").action).toBe("permanent");
    });

    it("HTTP 2xx with a body that is not JSON is a GatePayResponseError with an excerpt", async () => {
      server.enqueue({
        status: 200,
        headers: { "content-type": "text/html" },
        body: "<html>ok</html>",
      });
      const err = await rejection(client().createOrderRefund(ORDER));
      expect(err).toBeInstanceOf(GatePayResponseError);
      expect((err as GatePayResponseError).bodyExcerpt).toBe("<html>ok</html>");
      expect(classifyFailure(err, "orderRefund").action).toBe("unknown-outcome");
      expect(server.requests).toHaveLength(1);
    });

    it("SUCCESS whose data does not match the schema is a GatePayResponseError naming the field", async () => {
      server.enqueue(ok({ prepayId: "1" }));
      const err = await rejection(client().createOrderRefund(ORDER));
      expect(err).toBeInstanceOf(GatePayResponseError);
      expect((err as GatePayResponseError).problem).toMatch(/^data\.refundRequestId/);
    });

    it("a non-2xx HTML page is a GatePayApiError without a code", async () => {
      server.enqueue({
        status: 502,
        headers: { "content-type": "text/html" },
        body: "<h1>Bad gateway</h1>",
      });
      const err = await rejection(client().createOrderRefund(ORDER));
      expect(err).toBeInstanceOf(GatePayApiError);
      expect(err).toMatchObject({ httpStatus: 502, code: undefined, body: "<h1>Bad gateway</h1>" });
    });
  });

  describe("no retries of refund creations", () => {
    it("HTTP 500 300000: one request, unknown outcome", async () => {
      server.enqueue(fail("300000", 500), ok({ refundRequestId: "rr-1" }));
      const err = await rejection(client().createOrderRefund(ORDER));
      expect(err).toMatchObject({ httpStatus: 500, code: "300000" });
      expect(classifyFailure(err, "orderRefund").action).toBe("unknown-outcome");
      expect(server.requests).toHaveLength(1);
    });

    it("a dropped connection: one request, may have reached GatePay", async () => {
      server.enqueue({ drop: true }, ok({ refundRequestId: "rr-1" }));
      const err = await rejection(client().createOrderRefund(ORDER));
      expect(err).toBeInstanceOf(GatePayConnectionError);
      expect(err).not.toBeInstanceOf(GatePayTimeoutError);
      expect((err as GatePayConnectionError).requestMayHaveReached).toBe(true);
      expect(classifyFailure(err, "orderRefund").action).toBe("unknown-outcome");
      expect(server.requests).toHaveLength(1);
    });

    it("a connection reset (RST): one request, may have reached GatePay", async () => {
      server.enqueue({ drop: true, reset: true });
      const err = await rejection(client().createConvertRefund(CONVERT));
      expect(err).toBeInstanceOf(GatePayConnectionError);
      expect((err as GatePayConnectionError).requestMayHaveReached).toBe(true);
      expect((err as GatePayConnectionError).networkCodes).toContain("ECONNRESET");
      expect(server.requests).toHaveLength(1);
    });

    it("a timeout: GatePayTimeoutError after about timeoutMs, one request", async () => {
      server.enqueue({ delayMs: 5_000, ...ok({ refundRequestId: "rr-1" }) });
      const started = Date.now();
      const err = await rejection(client({ timeoutMs: 200 }).createOrderRefund(ORDER));
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(GatePayTimeoutError);
      expect((err as GatePayTimeoutError).timeoutMs).toBe(200);
      expect((err as GatePayTimeoutError).requestMayHaveReached).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(3_000);
      expect(server.requests).toHaveLength(1);
      expect(events).toEqual([
        expect.objectContaining({ operation: "orderRefund", method: "POST", outcome: "timeout" }),
      ]);
    });

    it("a per-call timeout overrides the client's", async () => {
      server.enqueue({ delayMs: 5_000, ...ok({ refundRequestId: "rr-1" }) });
      const err = await rejection(
        client({ timeoutMs: 60_000 }).createOrderRefund(ORDER, { timeoutMs: 100 }),
      );
      expect(err).toBeInstanceOf(GatePayTimeoutError);
    });

    it("429 with Retry-After (seconds and HTTP date) is parsed and not retried", async () => {
      const date = new Date(Date.now() + 30_000).toUTCString();
      server.enqueue(
        { status: 429, headers: { "retry-after": "3" }, body: "" },
        { status: 429, headers: { "retry-after": date }, body: "" },
      );
      const a = await rejection(client().createOrderRefund(ORDER));
      expect(a).toMatchObject({ httpStatus: 429, retryAfterMs: 3000 });
      expect(classifyFailure(a, "orderRefund")).toMatchObject({
        action: "retry-after",
        delayMs: 3000,
      });
      const b = await rejection(client().createOrderRefund(ORDER));
      expect((b as GatePayApiError).retryAfterMs).toBeGreaterThan(25_000);
      expect((b as GatePayApiError).retryAfterMs).toBeLessThanOrEqual(30_000);
      expect(server.requests).toHaveLength(2);
    });

    it("connection refused: the request never left", async () => {
      const port = await unusedPort();
      const err = await rejection(
        client({ baseUrl: `http://127.0.0.1:${port}` }).createOrderRefund(ORDER),
      );
      expect(err).toBeInstanceOf(GatePayConnectionError);
      expect((err as GatePayConnectionError).requestMayHaveReached).toBe(false);
      expect((err as GatePayConnectionError).networkCodes).toContain("ECONNREFUSED");
      expect(classifyFailure(err, "orderRefund").action).toBe("retry");
      expect(events).toEqual([expect.objectContaining({ outcome: "connection-error" })]);
    });
  });

  describe("status reads retry briefly, signing each attempt afresh", () => {
    it("500, drop, then success: three attempts with fresh timestamp, nonce and signature", async () => {
      server.enqueue(
        fail("300000", 500),
        { drop: true },
        ok({ refundRequestId: "rr-1", status: "SUCCESS" }),
      );
      const details = await client().getRefundDetails("rr-1");
      expect(details?.status).toBe("SUCCESS");
      const reqs = await server.waitForRequests(3);
      expect(reqs).toHaveLength(3);
      for (const req of reqs) expectSigned(req, undefined);
      const nonces = new Set(reqs.map((r) => r.headers["x-gatepay-nonce"]));
      const signatures = new Set(reqs.map((r) => r.headers["x-gatepay-signature"]));
      const timestamps = reqs.map((r) => Number(r.headers["x-gatepay-timestamp"]));
      expect(nonces.size).toBe(3);
      expect(signatures.size).toBe(3);
      expect(timestamps[1]).toBeGreaterThan(timestamps[0]!);
      expect(timestamps[2]).toBeGreaterThan(timestamps[1]!);
      expect(events.map((e) => e.outcome)).toEqual(["api-error", "connection-error", "ok"]);
    });

    it("queryRefundV1 retries too, resending the same body bytes", async () => {
      server.enqueue(
        { status: 503, body: "" },
        ok({ refundRequestId: "rr-1", refundStatus: "FAIL" }),
      );
      const result = await client().queryRefundV1("rr-1");
      expect(result?.refundStatus).toBe("FAIL");
      const [a, b] = await server.waitForRequests(2);
      expect(a!.body).toBe(b!.body);
      expect(a!.headers["x-gatepay-nonce"]).not.toBe(b!.headers["x-gatepay-nonce"]);
    });

    it("gives up after 1 + readRetries attempts with the last error", async () => {
      server.enqueue(fail("300000", 500), fail("300000", 500), fail("300001", 500));
      const err = await rejection(client({ readRetries: 2 }).getRefundDetails("rr-1"));
      expect(err).toMatchObject({ httpStatus: 500, code: "300001" });
      expect(server.requests).toHaveLength(3);
    });

    it("readRetries 0 means one attempt", async () => {
      server.enqueue(fail("300000", 500));
      await rejection(client({ readRetries: 0 }).getRefundDetails("rr-1"));
      expect(server.requests).toHaveLength(1);
    });

    it("a read timeout is retried", async () => {
      server.enqueue(
        { delayMs: 2_000, ...ok({}) },
        ok({ refundRequestId: "rr-1", status: "INIT" }),
      );
      const details = await client({ timeoutMs: 150 }).getRefundDetails("rr-1");
      expect(details?.status).toBe("INIT");
      expect(events.map((e) => e.outcome)).toEqual(["timeout", "ok"]);
    });

    it("a short Retry-After on 429 is honoured", async () => {
      server.enqueue(
        { status: 429, headers: { "retry-after": "0.3" }, body: "" },
        ok({ refundRequestId: "rr-1", status: "SUCCESS" }),
      );
      await client().getRefundDetails("rr-1");
      const [a, b] = await server.waitForRequests(2);
      expect(b!.receivedAtMs - a!.receivedAtMs).toBeGreaterThanOrEqual(290);
    });

    it("a Retry-After beyond the 2 s budget is not waited for: the error goes to the caller", async () => {
      server.enqueue({ status: 429, headers: { "retry-after": "30" }, body: "" });
      const started = Date.now();
      const err = await rejection(client().getRefundDetails("rr-1"));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(err).toMatchObject({ httpStatus: 429, retryAfterMs: 30_000 });
      expect(server.requests).toHaveLength(1);
    });

    it("permanent and halting answers are not retried", async () => {
      server.enqueue(fail("400001"), fail("400004"));
      await rejection(client().getRefundDetails("rr-1"));
      await rejection(client().getRefundDetails("rr-1"));
      expect(server.requests).toHaveLength(2);
    });

    it("a caller abort stops the call and its retries", async () => {
      server.enqueue({ delayMs: 5_000, ...ok({}) });
      const controller = new AbortController();
      const pending = rejection(client().getRefundDetails("rr-1", { signal: controller.signal }));
      await server.waitForRequests(1);
      controller.abort();
      const err = await pending;
      expect(err).toBeInstanceOf(GatePayConnectionError);
      expect(err).not.toBeInstanceOf(GatePayTimeoutError);
      expect((err as Error).message).toMatch(/aborted by the caller/);
      expect(server.requests).toHaveLength(1);
    });

    it("an already aborted signal sends nothing", async () => {
      const err = await rejection(
        client().createOrderRefund(ORDER, { signal: AbortSignal.abort() }),
      );
      expect((err as GatePayConnectionError).requestMayHaveReached).toBe(false);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe("custom fetch", () => {
    it("works with undici's fetch on a keep-alive Agent", async () => {
      const agent = new Agent({ keepAliveTimeout: 10_000 });
      try {
        const fetchWithAgent = ((input: string, init: RequestInit) =>
          undiciFetch(input, {
            ...(init as object),
            dispatcher: agent,
          })) as unknown as typeof fetch;
        server.enqueue(
          ok({ refundRequestId: "rr-1" }),
          ok({ refundRequestId: "rr-1", status: "SUCCESS" }),
        );
        const c = client({ fetch: fetchWithAgent });
        await c.createOrderRefund(ORDER);
        await c.getRefundDetails("rr-1");
        const [post, get] = await server.waitForRequests(2);
        expect(post!.rawBody.equals(Buffer.from(ORDER_BYTES))).toBe(true);
        expectSigned(post!, undefined);
        expect(get!.method).toBe("GET");
        expectSigned(get!, undefined);
      } finally {
        await agent.close();
      }
    });
  });

  describe("secrets never leak", () => {
    it("not through the client object", () => {
      const c = client();
      const holder = { reveal: () => SECRET, toJSON: () => "[redacted]" };
      const c2 = client({ secretKey: holder });
      for (const view of [
        inspect(c, { depth: 10, showHidden: true }),
        JSON.stringify(c),
        String(Object.keys(c)),
        inspect(c2, { depth: 10 }),
      ]) {
        expect(view).not.toContain(SECRET);
      }
    });

    it("not through any error, even when GatePay echoes the secret back", async () => {
      const port = await unusedPort();
      server.enqueue(
        {
          status: 500,
          body: { status: "FAIL", code: "300000", secret: SECRET, note: `k=${SECRET}` },
        },
        {
          status: 200,
          body: { status: "FAIL", code: "400002", errorMessage: `bad key ${SECRET}` },
        },
        { status: 200, headers: { "content-type": "text/plain" }, body: `oops ${SECRET}` },
        ok({ prepayId: SECRET, refundAmount: [SECRET] }),
        { drop: true },
        { delayMs: 2_000, ...ok({}) },
      );
      const c = client({ timeoutMs: 200, readRetries: 0 });
      const errors = [
        await rejection(c.createOrderRefund(ORDER)),
        await rejection(c.createOrderRefund(ORDER)),
        await rejection(c.createOrderRefund(ORDER)),
        await rejection(c.createOrderRefund(ORDER)),
        await rejection(c.createOrderRefund(ORDER)),
        await rejection(c.getRefundDetails("rr-1")),
        await rejection(client({ baseUrl: `http://127.0.0.1:${port}` }).createOrderRefund(ORDER)),
      ];
      const signatures = server.requests.map((r) => String(r.headers["x-gatepay-signature"]));
      expect(signatures).toHaveLength(6);
      for (const err of errors) {
        expect(err).toBeInstanceOf(GatePayError);
        for (const view of [String(err), JSON.stringify(err), inspect(err, { depth: 20 })]) {
          expect(view).not.toContain(SECRET);
          for (const sig of signatures) expect(view).not.toContain(sig);
        }
      }
      expect(JSON.stringify(events)).not.toContain(SECRET);
    });

    it("not through a chained JSON parse error (V8 quotes short inputs in full)", async () => {
      const shortSecret = "Zq9!";
      server.enqueue(
        { status: 200, headers: { "content-type": "text/plain" }, body: shortSecret },
        { status: 500, headers: { "content-type": "text/plain" }, body: shortSecret },
      );
      const c = client({ secretKey: shortSecret });
      for (const err of [
        await rejection(c.createOrderRefund(ORDER)),
        await rejection(c.createOrderRefund(ORDER)),
      ]) {
        expect((err as Error).cause).toBeInstanceOf(Error);
        for (const view of [String(err), JSON.stringify(err), inspect(err, { depth: 20 })]) {
          expect(view).not.toContain(shortSecret);
        }
      }
    });
  });
});

describe("ky hooks", () => {
  it("run after the signing hook, on every attempt, and may add headers", async () => {
    const seen: string[] = [];
    server.enqueue(fail("300000", 500), ok({ refundRequestId: "rr-1", status: "PROCESSING" }));
    const c = new GatePayClient({
      baseUrl: server.url,
      clientId: CLIENT_ID,
      secretKey: SECRET,
      httpClient: "ky",
      kyHooks: {
        beforeRequest: [
          (request) => {
            seen.push(request.headers.get("x-gatepay-nonce") ?? "unsigned");
            request.headers.set("x-trace-id", "t-1");
          },
        ],
        afterResponse: [(_request, _options, response) => void seen.push(String(response.status))],
      },
    });
    clients.push(c);
    await c.getRefundDetails("rr-1");
    const [a, b] = await server.waitForRequests(2);
    expect(a!.headers["x-trace-id"]).toBe("t-1");
    expectSigned(b!, undefined);
    // Each attempt signed afresh, before the user's hook saw it.
    expect(seen).toEqual([
      a!.headers["x-gatepay-nonce"],
      "500",
      b!.headers["x-gatepay-nonce"],
      "200",
    ]);
    expect(a!.headers["x-gatepay-nonce"]).not.toBe(b!.headers["x-gatepay-nonce"]);
  });

  it("cannot turn ky's retries on: a refund creation is one request", async () => {
    server.enqueue(fail("300000", 500));
    const c = new GatePayClient({
      baseUrl: server.url,
      clientId: CLIENT_ID,
      secretKey: SECRET,
      httpClient: "ky",
      kyHooks: { beforeRetry: [() => void 0] },
    });
    clients.push(c);
    expect(await rejection(c.createOrderRefund(ORDER))).toBeInstanceOf(GatePayApiError);
    await new Promise((r) => setTimeout(r, 200));
    expect(server.requests).toHaveLength(1);
  });
});
