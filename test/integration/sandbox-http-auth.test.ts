/** The sandbox over real HTTP (loopback, port 0): authentication and institution paths. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildSignedHeaders, GATEPAY_HEADERS } from "../../src/gatepay/signing.js";
import { type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import {
  CLIENT_ID,
  SECRET,
  ORDER,
  CONVERT,
  type CallOptions,
  type Reply,
  call,
  refund,
  startTestSandbox,
} from "../helpers/sandbox-http.js";

let sb: Sandbox;
const start = async (extra: Partial<SandboxOptions> = {}) => (sb = await startTestSandbox(extra));
afterEach(() => sb.close());

describe("authentication (gatepay-api.md §2–3)", () => {
  beforeEach(async () => {
    await start();
  });

  it("accepts a correctly signed request", async () => {
    const r = await call(sb, "/v1/pay/order/refund", { body: refund("ok1", "1") });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      status: "SUCCESS",
      code: "000000",
      errorMessage: "",
      data: {
        refundRequestId: "ok1",
        prepayId: ORDER.prepayId,
        orderAmount: "10.5",
        refundAmount: "1",
        channelId: "",
      },
    });
  });

  it("answers each failure with its documented code and counts it", async () => {
    const cases: [string, CallOptions, string][] = [
      ["unknown client id", { clientId: "someone-else" }, "400004"],
      ["missing client id", { headers: { [GATEPAY_HEADERS.clientId]: undefined } }, "400004"],
      ["bad signature", { secret: "wrong-secret" }, "400002"],
      ["missing signature", { headers: { [GATEPAY_HEADERS.signature]: undefined } }, "400002"],
      ["stale timestamp", { timestampMs: Date.now() - 10_500 }, "400003"],
      ["future timestamp", { timestampMs: Date.now() + 10_500 }, "400003"],
      ["timestamp in seconds text", { headers: { [GATEPAY_HEADERS.timestamp]: "12.5" } }, "400003"],
      ["nonce with symbols", { nonce: "abc-123" }, "400020"],
      ["nonce over 32", { nonce: "a".repeat(33) }, "400020"],
      ["missing nonce", { headers: { [GATEPAY_HEADERS.nonce]: undefined } }, "400020"],
      ["wrong content type", { headers: { "Content-Type": "text/plain" } }, "400007"],
    ];
    for (const [name, opts, code] of cases) {
      const r = await call(sb, "/v1/pay/order/refund", {
        body: refund(`bad-${code}`, "1"),
        ...opts,
      });
      expect({ name, status: r.status, code: r.json.code, s: r.json.status }).toEqual({
        name,
        status: 200,
        code,
        s: "FAIL",
      });
    }
    expect(sb.ledger.refunds).toHaveLength(0);
    expect(sb.counters().authFailures).toEqual({
      clientId: 2,
      signature: 2,
      timestamp: 3,
      nonce: 3,
      nonceReuse: 0,
      contentType: 1,
      onBehalfOf: 0,
    });
  });

  it("signs over the raw body: a re-serialised body fails", async () => {
    const body = JSON.stringify(refund("raw", "1"));
    const headers = buildSignedHeaders({ clientId: CLIENT_ID, secret: SECRET, body });
    const res = await fetch(`${sb.url}/v1/pay/order/refund`, {
      method: "POST",
      headers,
      body: JSON.stringify(JSON.parse(body), null, 1),
    });
    expect(((await res.json()) as Reply["json"]).code).toBe("400002");
  });

  it("accepts a timestamp just inside the window", async () => {
    const r = await call(sb, "/v1/pay/order/refund", {
      body: refund("edge", "1"),
      timestampMs: Date.now() - 9_000,
    });
    expect(r.json.status).toBe("SUCCESS");
  });

  it("refuses a reused nonce (400020) and counts it apart", async () => {
    const first = await call(sb, "/v1/pay/order/refund", {
      body: refund("n1", "1"),
      nonce: "Reused123",
    });
    const second = await call(sb, "/v1/pay/order/refund", {
      body: refund("n2", "1"),
      nonce: "Reused123",
    });
    expect(first.json.status).toBe("SUCCESS");
    expect(second.json).toMatchObject({ status: "FAIL", code: "400020" });
    expect(sb.counters().authFailures.nonceReuse).toBe(1);
    expect(sb.ledger.refundsFor("n2")).toHaveLength(0);
  });

  it("refuses an exact replay of a signed request", async () => {
    const body = JSON.stringify(refund("replay", "1"));
    const headers = buildSignedHeaders({ clientId: CLIENT_ID, secret: SECRET, body });
    const send = async () =>
      (
        (await (
          await fetch(`${sb.url}/v1/pay/order/refund`, { method: "POST", headers, body })
        ).json()) as Reply["json"]
      ).code;
    expect(await send()).toBe("000000");
    expect(await send()).toBe("400020");
    expect(sb.ledger.refundsFor("replay")).toHaveLength(1);
  });

  it("does not burn a nonce on a request with a bad signature", async () => {
    await call(sb, "/v1/pay/order/refund", {
      body: refund("f", "1"),
      nonce: "Shared1",
      secret: "bad",
    });
    const ok = await call(sb, "/v1/pay/order/refund", { body: refund("f", "1"), nonce: "Shared1" });
    expect(ok.json.status).toBe("SUCCESS");
  });

  it("signs GETs over the empty body, query unsigned", async () => {
    await call(sb, "/v1/pay/order/refund", { body: refund("g1", "1") });
    const r = await call(sb, "/v2/pay/refund/details?refundRequestId=g1", { method: "GET" });
    expect(r.json).toMatchObject({
      status: "SUCCESS",
      data: { refundRequestId: "g1", status: "PROCESSING" },
    });
  });

  it("uses a configurable window and clock", async () => {
    await sb.close();
    let clock = 1_000_000;
    await start({ timestampWindowMs: 500, now: () => clock });
    const inside = await call(sb, "/v1/pay/order/refund", {
      body: refund("c1", "1"),
      timestampMs: clock - 500,
    });
    expect(inside.json.status).toBe("SUCCESS");
    clock += 10_000;
    const outside = await call(sb, "/v1/pay/order/refund", {
      body: refund("c2", "1"),
      timestampMs: clock - 501,
    });
    expect(outside.json.code).toBe("400003");
  });
});

describe("institution paths", () => {
  beforeEach(async () => {
    await start();
  });

  it("require X-GatePay-On-Behalf-Of (400001 naming it) and record it", async () => {
    const path = "/payment/open/institution/v1/pay/order/refund";
    const missing = await call(sb, path, { body: refund("i1", "1") });
    expect(missing.json).toMatchObject({ status: "FAIL", code: "400001" });
    expect(missing.json.errorMessage).toContain("X-GatePay-On-Behalf-Of");
    expect(sb.counters().authFailures.onBehalfOf).toBe(1);

    const ok = await call(sb, path, { body: refund("i1", "1"), onBehalfOf: "sub-42" });
    expect(ok.json.status).toBe("SUCCESS");
    expect(sb.ledger.refundsFor("i1")[0]).toMatchObject({
      institution: true,
      onBehalfOf: "sub-42",
    });

    const details = await call(
      sb,
      "/payment/open/institution/v2/pay/refund/details?refundRequestId=i1",
      {
        method: "GET",
      },
    );
    expect(details.json.code).toBe("400001");
    const detailsOk = await call(
      sb,
      "/payment/open/institution/v2/pay/refund/details?refundRequestId=i1",
      {
        method: "GET",
        onBehalfOf: "sub-42",
      },
    );
    expect(detailsOk.json.data).toMatchObject({ refundRequestId: "i1" });
  });

  it("convert refunds work on the institution path", async () => {
    const r = await call(sb, "/payment/open/institution/v1/pay/address/refundconvert", {
      onBehalfOf: "sub-1",
      body: {
        refundRequestId: "ic1",
        prepayId: CONVERT.prepayId,
        refundOrderCurrency: "USDT",
        refundOrderAmount: "40",
        refundPayCurrency: "BTC",
        refundPayAmount: "0.0006",
        receiverId: "10001",
      },
    });
    expect(r.json).toMatchObject({
      status: "SUCCESS",
      data: {
        refundRequestId: "ic1",
        orderCurrency: "USDT",
        orderAmount: "100",
        refundOrderAmount: "40",
        payCurrency: "BTC",
        payAmount: "0.0015",
        refundPayAmount: "0.0006",
      },
    });
    expect(sb.ledger.refundsFor("ic1")[0]).toMatchObject({
      kind: "convert",
      receiverId: "10001",
      onBehalfOf: "sub-1",
    });
  });

  it("merchant paths accept and record an On-Behalf-Of header", async () => {
    await call(sb, "/v1/pay/order/refund", { body: refund("m1", "1"), onBehalfOf: "sub-9" });
    expect(sb.ledger.refundsFor("m1")[0]).toMatchObject({
      institution: false,
      onBehalfOf: "sub-9",
    });
  });
});
