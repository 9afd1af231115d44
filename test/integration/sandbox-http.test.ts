/**
 * The sandbox over real HTTP (loopback, port 0), driven with plain `fetch` and the
 * project's signer: authentication, ledger rules, duplicate modes, details and query,
 * institution paths, admin routes and a clean close.
 */
import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildSignedHeaders, GATEPAY_HEADERS } from "../../src/gatepay/signing.js";
import {
  startSandbox,
  type DuplicateMode,
  type Sandbox,
  type SandboxOptions,
} from "../../src/sandbox/index.js";

const CLIENT_ID = "sandbox-client";
const SECRET = "sandbox-secret-☃";
const ORDER = {
  prepayId: "1991810932510167040",
  amount: "10.5",
  currency: "USDT",
  kind: "order",
} as const;
const CONVERT = {
  prepayId: "77001",
  amount: "100",
  currency: "USDT",
  kind: "convert",
  payCurrency: "BTC",
  payAmount: "0.0015",
} as const;

interface CallOptions {
  method?: "GET" | "POST";
  body?: unknown;
  onBehalfOf?: string;
  clientId?: string;
  secret?: string;
  timestampMs?: number;
  nonce?: string;
  /** Header overrides applied after signing; `undefined` removes a header. */
  headers?: Record<string, string | undefined>;
}

interface Reply {
  status: number;
  headers: Headers;
  json: {
    status: string;
    code: string;
    label?: string;
    errorMessage: string;
    data: Record<string, unknown>;
  };
}

async function call(sb: Sandbox, path: string, o: CallOptions = {}): Promise<Reply> {
  const method = o.method ?? "POST";
  const body =
    method === "GET" ? "" : typeof o.body === "string" ? o.body : JSON.stringify(o.body ?? {});
  const headers: Record<string, string> = buildSignedHeaders({
    clientId: o.clientId ?? CLIENT_ID,
    secret: o.secret ?? SECRET,
    body,
    onBehalfOf: o.onBehalfOf,
    ...(o.timestampMs !== undefined ? { timestampMs: o.timestampMs } : {}),
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
  });
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers,
    ...(method === "GET" ? {} : { body }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Reply["json"] };
}

const refund = (id: string, amount: string, prepayId: string = ORDER.prepayId) => ({
  refundRequestId: id,
  prepayId,
  refundAmount: amount,
  refundReason: "test",
});

async function admin(sb: Sandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sb.url}/__sandbox${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

let sb: Sandbox;
async function start(extra: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  sb = await startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    orders: [ORDER, CONVERT],
    settleDelayMs: Infinity,
    ...extra,
  });
  return sb;
}
afterEach(async () => {
  await sb.close();
});

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

describe("ledger rules over HTTP", () => {
  beforeEach(async () => {
    await start({ duplicateMode: "duplicate" });
  });

  it("unknown order → 400202", async () => {
    const r = await call(sb, "/v1/pay/order/refund", { body: refund("u1", "1", "404") });
    expect(r.json).toMatchObject({
      status: "FAIL",
      code: "400202",
      label: "ORDER_NOT_FOUND",
      data: {},
    });
  });

  it("beyond the remaining amount → 500206", async () => {
    expect((await call(sb, "/v1/pay/order/refund", { body: refund("a1", "10") })).json.status).toBe(
      "SUCCESS",
    );
    const r = await call(sb, "/v1/pay/order/refund", { body: refund("a2", "0.51") });
    expect(r.json.code).toBe("500206");
    expect(sb.ledger.order(ORDER.prepayId)?.remainingAmount).toBe("0.5");
  });

  it("refundRequestId over 32 characters → 400001", async () => {
    const r = await call(sb, "/v1/pay/order/refund", { body: refund("x".repeat(33), "1") });
    expect(r.json.code).toBe("400001");
  });

  it("malformed JSON → 400001", async () => {
    const r = await call(sb, "/v1/pay/order/refund", { body: "{not json" });
    expect(r.json.code).toBe("400001");
  });

  it("convert refund on a direct order, and the reverse → 500208", async () => {
    const convert = await call(sb, "/v1/pay/address/refundconvert", {
      body: {
        refundRequestId: "w1",
        prepayId: ORDER.prepayId,
        refundOrderCurrency: "USDT",
        refundOrderAmount: "1",
        refundPayCurrency: "BTC",
        refundPayAmount: "0.0001",
        receiverId: "1",
      },
    });
    expect(convert.json.code).toBe("500208");
    const direct = await call(sb, "/v1/pay/order/refund", {
      body: refund("w2", "1", CONVERT.prepayId),
    });
    expect(direct.json.code).toBe("500208");
    expect(sb.ledger.refunds).toHaveLength(0);
  });

  it("unknown refund on details and v1 query → 400304", async () => {
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=ghost", { method: "GET" });
    expect(d.json).toMatchObject({ status: "FAIL", code: "400304", label: "REFUND_NOT_FOUND" });
    const q = await call(sb, "/v1/pay/order/refund/query", { body: { refundRequestId: "ghost" } });
    expect(q.json.code).toBe("400304");
  });

  it("wrong method → 405, unknown path → 404", async () => {
    const r = await call(sb, "/v2/pay/refund/details?refundRequestId=x", { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET");
    const n = await call(sb, "/v9/nothing");
    expect(n.status).toBe(404);
    expect(sb.counters().unknownPaths).toBe(1);
  });
});

describe("re-posted refundRequestId (gatepay-api.md §9), one mode each", () => {
  async function postTwice(mode: DuplicateMode) {
    await start({ duplicateMode: mode });
    const first = await call(sb, "/v1/pay/order/refund", { body: refund("same", "4") });
    const second = await call(sb, "/v1/pay/order/refund", { body: refund("same", "4") });
    return { first, second };
  }

  it("duplicate: a second refund is recorded and money moves twice", async () => {
    const { first, second } = await postTwice("duplicate");
    expect(first.json.status).toBe("SUCCESS");
    expect(second.json.status).toBe("SUCCESS");
    const refunds = sb.ledger.refundsFor("same");
    expect(refunds).toHaveLength(2);
    expect(refunds[0]!.gateRefundId).not.toBe(refunds[1]!.gateRefundId);
    expect(sb.ledger.order(ORDER.prepayId)?.refundedAmount).toBe("8");
    expect(sb.counters().refundsRecorded).toBe(2);
  });

  it("idempotent: the original comes back and nothing new is recorded", async () => {
    const { first, second } = await postTwice("idempotent");
    expect(second.json).toEqual(first.json);
    expect(sb.ledger.refundsFor("same")).toHaveLength(1);
    expect(sb.ledger.order(ORDER.prepayId)?.refundedAmount).toBe("4");
    expect(sb.counters().idempotentReplays).toBe(1);
  });

  it("reject: the re-post is an error and nothing new is recorded", async () => {
    const { first, second } = await postTwice("reject");
    expect(first.json.status).toBe("SUCCESS");
    expect(second.json).toMatchObject({
      status: "FAIL",
      code: "400201",
      label: "DUPLICATE_REFUND_REQUEST_ID",
    });
    expect(sb.ledger.refundsFor("same")).toHaveLength(1);
    expect(sb.counters().duplicateRejections).toBe(1);
  });

  it("details of a duplicated id answer with the first refund", async () => {
    await postTwice("duplicate");
    const [firstRefund, secondRefund] = sb.ledger.refundsFor("same");
    sb.settleNow({ refundRequestId: "same" });
    expect(secondRefund!.status).toBe("SUCCESS");
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=same", { method: "GET" });
    expect(d.json.data["gateRefundId"]).toBe(firstRefund!.gateRefundId);
  });
});

describe("details and v1 query answers", () => {
  beforeEach(async () => {
    await start({ failureReason: "insufficient balance" });
  });

  it("report PROCESSING, then SUCCESS or FAIL with the reason", async () => {
    await call(sb, "/v1/pay/order/refund", { body: refund("s1", "10.5") });
    await call(sb, "/v1/pay/order/refund", { body: refund("f1", "1", ORDER.prepayId) });
    const before = await call(sb, "/v2/pay/refund/details?refundRequestId=s1", { method: "GET" });
    expect(before.json.data).toMatchObject({ status: "PROCESSING", refund_fail_reason: "" });
    expect(before.json.data).not.toHaveProperty("transactTime");
    // f1 exceeded what remained after s1: only s1 exists.
    expect(sb.ledger.refundsFor("f1")).toHaveLength(0);

    sb.settleNow({ refundRequestId: "s1" });
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=s1", { method: "GET" });
    const r = sb.ledger.refundsFor("s1")[0]!;
    expect(d.json.data).toEqual({
      refundRequestId: "s1",
      gateRefundId: r.gateRefundId,
      refundId: r.gateRefundId,
      orderId: ORDER.prepayId,
      createTime: r.createdAtMs,
      transactTime: r.settledAtMs,
      orderAmount: "10.5",
      orderCurrency: "USDT",
      requestAmount: "10.5",
      requestCurrency: "USDT",
      amount: "10.5",
      currency: "USDT",
      status: "SUCCESS",
      remark: "test",
      refund_style: 1,
      refund_pay_channel: 1,
      refund_bear_type: 1,
      refund_amount_type: 1,
      refund_account_type: 1,
      refund_fail_reason: "",
      refund_to_gate_uid: "",
    });
    const q = await call(sb, "/v1/pay/order/refund/query", { body: { refundRequestId: "s1" } });
    expect(q.json.data).toEqual({
      refundRequestId: "s1",
      prepayId: ORDER.prepayId,
      orderAmount: "10.5",
      refundAmount: "10.5",
      refundStatus: "SUCCESS",
      channelId: "",
    });
  });

  it("a failed refund reports FAIL with refund_fail_reason and frees the amount", async () => {
    await call(sb, "/v1/pay/order/refund", { body: refund("f2", "3") });
    sb.settleNow({ refundRequestId: "f2", status: "FAIL" });
    const d = await call(sb, "/v2/pay/refund/details?refundRequestId=f2", { method: "GET" });
    expect(d.json.data).toMatchObject({
      status: "FAIL",
      refund_fail_reason: "insufficient balance",
      refund_amount_type: 2,
    });
    const q = await call(sb, "/v1/pay/order/refund/query", { body: { refundRequestId: "f2" } });
    expect(q.json.data["refundStatus"]).toBe("FAIL");
    expect(sb.ledger.order(ORDER.prepayId)?.remainingAmount).toBe("10.5");
  });
});

describe("admin routes under /__sandbox", () => {
  beforeEach(async () => {
    await start({ orders: [] });
  });

  it("health, seed one or many, ledger, counters", async () => {
    expect(await admin(sb, "GET", "/health")).toEqual({ status: 200, json: { status: "ok" } });
    const one = await admin(sb, "POST", "/orders", ORDER);
    expect(one.json["orders"]).toEqual([
      {
        ...ORDER,
        refundedAmount: "0",
        succeededAmount: "0",
        remainingAmount: "10.5",
        refundCount: 0,
      },
    ]);
    const many = await admin(sb, "POST", "/orders", {
      orders: [CONVERT, { ...ORDER, prepayId: "3" }],
    });
    expect(many.status).toBe(200);
    expect(sb.ledger.orders.map((o) => o.prepayId)).toEqual([
      ORDER.prepayId,
      CONVERT.prepayId,
      "3",
    ]);
    const bad = await admin(sb, "POST", "/orders", [
      { ...ORDER, prepayId: "4" },
      { prepayId: "5", amount: "x" },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: "orders[1].currency: is required" });
    expect(sb.ledger.order("4")).toBeUndefined();

    await call(sb, "/v1/pay/order/refund", { body: refund("adm1", "2") });
    await call(sb, "/v1/pay/order/refund", { body: refund("adm2", "2"), secret: "bad" });
    const ledger = await admin(sb, "GET", "/ledger");
    expect(ledger.json["refunds"]).toMatchObject([
      { refundRequestId: "adm1", refundAmount: "2", status: "PROCESSING" },
    ]);
    const counters = (await admin(sb, "GET", "/counters")).json;
    expect(counters).toMatchObject({
      requests: { orderRefund: 2, refundDetails: 0 },
      authFailures: { signature: 1 },
      answers: { "000000": 1, "400002": 1 },
      refundsRecorded: 1,
    });
  });

  it("change faults and scripts at run time, settle, configure, reset", async () => {
    await admin(sb, "POST", "/orders", ORDER);
    expect((await admin(sb, "POST", "/faults", { orderRefund: { http500: 1 } })).status).toBe(200);
    const failed = await call(sb, "/v1/pay/order/refund", { body: refund("fa1", "1") });
    expect(failed.status).toBe(500);
    expect(failed.json.code).toBe("300000");
    expect((await admin(sb, "POST", "/faults", { orderRefund: { http500: 2 } })).status).toBe(400);
    await admin(sb, "DELETE", "/faults");
    await admin(sb, "POST", "/faults/script", { operation: "orderRefund", actions: ["http429"] });
    expect((await admin(sb, "GET", "/faults")).json).toEqual({
      faults: {},
      scripts: { orderRefund: ["http429"] },
    });
    expect((await call(sb, "/v1/pay/order/refund", { body: refund("fa2", "1") })).status).toBe(429);
    expect((await call(sb, "/v1/pay/order/refund", { body: refund("fa3", "1") })).status).toBe(200);

    const settled = await admin(sb, "POST", "/settle", {
      refundRequestId: "fa3",
      status: "FAIL",
      reason: "why",
    });
    expect(settled.json["settled"]).toMatchObject([
      { refundRequestId: "fa3", status: "FAIL", failReason: "why" },
    ]);

    expect((await admin(sb, "POST", "/config", { duplicateMode: "reject" })).json).toMatchObject({
      duplicateMode: "reject",
    });
    expect(await admin(sb, "POST", "/config", { duplicateMode: "maybe" })).toEqual({
      status: 400,
      json: { error: "duplicateMode: must be one of idempotent, duplicate, reject" },
    });
    expect(sb.settings().duplicateMode).toBe("reject");

    await admin(sb, "POST", "/reset");
    expect(sb.ledger.refunds).toHaveLength(0);
    expect(sb.ledger.orders).toHaveLength(0);
    expect(sb.counters().requests.orderRefund).toBe(0);
    expect(sb.settings().duplicateMode).toBe("idempotent");
    expect((await admin(sb, "GET", "/nothing")).status).toBe(404);
  });
});

describe("startSandbox options and close", () => {
  it("rejects invalid options before listening", async () => {
    await expect(startSandbox({ clientId: "", secretKey: "s" })).rejects.toThrow(/clientId/);
    await expect(startSandbox({ clientId: "c", secretKey: "s", failureRatio: 2 })).rejects.toThrow(
      /failureRatio/,
    );
    await expect(
      startSandbox({ clientId: "c", secretKey: "s", faults: { default: { http500: -1 } } }),
    ).rejects.toThrow(/http500/);
    await expect(
      startSandbox({ clientId: "c", secretKey: "s", webhookUrl: "ftp://x" }),
    ).rejects.toThrow(/webhookUrl/);
    sb = await start();
  });

  it("binds 127.0.0.1 by default; close() ends open requests and refuses new ones", async () => {
    await start();
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    sb.faults.script("refundDetails", ["slowAfter"]);
    await call(sb, "/v1/pay/order/refund", { body: refund("h1", "1") });
    const pending = call(sb, "/v2/pay/refund/details?refundRequestId=h1", { method: "GET" }).catch(
      (e: unknown) => e,
    );
    await expect.poll(() => sb.counters().faults.refundDetails.slowAfter).toBe(1);
    await sb.close();
    await sb.close();
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${sb.url}/__sandbox/health`)).rejects.toThrow();
  });

  it("close() leaves no handle behind: a process with timers, retries and sockets exits by itself", async () => {
    // Run in a child process: if anything the sandbox started (settlement timer, webhook
    // retry timer, slow answer, keep-alive socket, agent) survived close(), the child
    // would stay alive and miss the deadline.
    const script = `
      import { request, Agent } from "node:http";
      import { startSandbox } from "./src/sandbox/index.ts";
      import { buildSignedHeaders } from "./src/gatepay/signing.ts";
      const sb = await startSandbox({
        clientId: "c", secretKey: "s", settleDelayMs: 60000,
        orders: [{ prepayId: "p1", amount: "5", currency: "USDT", kind: "order" }],
        webhookUrl: "http://127.0.0.1:9/unreachable",
        webhook: { schedule: [60000], sendProcess: true },
      });
      const agent = new Agent({ keepAlive: true });
      const post = (path, payload) => new Promise((resolve) => {
        const body = JSON.stringify(payload);
        const req = request(sb.url + path, { method: "POST", agent,
          headers: buildSignedHeaders({ clientId: "c", secret: "s", body }) }, (res) => {
          res.resume(); res.on("end", () => resolve(res.statusCode));
        });
        req.on("error", (e) => resolve(e.code ?? "error"));
        req.end(body);
      });
      console.log("created", await post("/v1/pay/order/refund",
        { refundRequestId: "r1", prepayId: "p1", refundAmount: "1" }));
      sb.faults.script("refundQueryV1", ["slowAfter"]);
      const slow = post("/v1/pay/order/refund/query", { refundRequestId: "r1" });
      while (sb.counters().faults.refundQueryV1.slowAfter === 0) await new Promise((r) => setImmediate(r));
      while (sb.webhookDeliveries()[0]?.lastError === undefined) await new Promise((r) => setImmediate(r));
      await sb.close();
      console.log("slow", await slow);
      console.log("closed");
    `;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: process.cwd(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | string | null>((resolve) => {
      const deadline = setTimeout(() => {
        child.kill("SIGKILL");
        resolve("still running 15 s after close()");
      }, 15_000);
      child.on("exit", (c) => {
        clearTimeout(deadline);
        resolve(c);
      });
    });
    expect({ code, out, err }).toMatchObject({ code: 0, out: expect.stringContaining("closed") });
    expect(out).toContain("created 200");
    expect(out).toMatch(/slow (ECONNRESET|error)/);
    sb = await start();
  });
});
