/**
 * Requests shaped exactly as Gate's official Java SDK (gate/gatepay-sdk-java) sends them,
 * to every refund endpoint of the sandbox, with the answers parsed by the project's own
 * schemas. The shapes, from the SDK's GatePayHttpClient and request models:
 * - the body is the whole request object through Jackson: the base class's `api` (the enum
 *   name), `headers` ({}) and `version` (null) first, then the model's fields, every unset
 *   optional one as `null`; `receiverId` is a Java `long`, so a JSON number;
 * - POSTs carry `X-GatePay-Certificate-SN` (the API key); every request has
 *   `Content-Type: application/json`, a 9-character nonce and the millisecond timestamp;
 * - GETs append their parameters to the URL unencoded and sign the empty string.
 * Nothing here uses the project's client: these are the SDK's bytes, signed as it signs.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConvertRefundResult,
  GatePayEnvelope,
  OrderRefundResult,
  parseEnvelopeData,
  parseGatePayJson,
  RefundDetails,
  RefundQueryV1Result,
} from "../../src/gatepay/schemas.js";
import { signPayload } from "../../src/gatepay/signing.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { CONVERT } from "../helpers/sandbox-http.js";

const CLIENT_ID = "sdk-client";
const SECRET = "sdk-secret";
const API_KEY = "sdk-api-key-sn";
const ORDER = {
  prepayId: "1991810932510167040",
  amount: "10",
  currency: "USDT",
  kind: "order",
} as const;
const NONCE_LETTERS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** RandomUtils.generateNonce(9), as BaseApi calls it. */
function sdkNonce(): string {
  let out = "";
  for (let i = 0; i < 9; i++) out += NONCE_LETTERS[Math.floor(Math.random() * 62)];
  return out;
}

interface SdkAnswer {
  httpStatus: number;
  envelope: GatePayEnvelope;
  data: unknown;
}

/** One request as GatePayHttpClient.generateHttpRequest builds it. */
async function sdkCall(
  sb: Sandbox,
  method: "GET" | "POST",
  pathAndQuery: string,
  body: string,
  onBehalfOf?: string,
): Promise<SdkAnswer> {
  const timestamp = String(Date.now());
  const nonce = sdkNonce();
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-GatePay-Timestamp": timestamp,
    "X-GatePay-Nonce": nonce,
    "X-GatePay-Certificate-ClientId": CLIENT_ID,
    "X-GatePay-Signature": signPayload(SECRET, timestamp, nonce, method === "GET" ? "" : body),
  };
  if (method === "POST") headers["X-GatePay-Certificate-SN"] = API_KEY;
  if (onBehalfOf !== undefined) headers["X-GatePay-On-Behalf-Of"] = onBehalfOf;
  const res = await fetch(`${sb.url}${pathAndQuery}`, {
    method,
    headers,
    ...(method === "POST" ? { body } : {}),
  });
  const text = await res.text();
  const envelope = GatePayEnvelope.parse(parseGatePayJson(text));
  return { httpStatus: res.status, envelope, data: parseEnvelopeData(envelope.data) };
}

/** Jackson's rendering of a request model: BaseRequest's fields, then the model's. */
function jacksonBody(api: string, fields: Record<string, string | number | null>): string {
  return JSON.stringify({ api, headers: {}, version: null, ...fields });
}

function expectSuccess(a: SdkAnswer): void {
  expect(a.httpStatus).toBe(200);
  expect(a.envelope.status).toBe("SUCCESS");
}

let sb: Sandbox;
beforeEach(async () => {
  sb = await startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    orders: [ORDER, CONVERT],
    settleDelayMs: Infinity,
  });
});
afterEach(async () => {
  await sb.close();
});

describe.each([
  { mode: "merchant", prefix: "", onBehalfOf: undefined },
  { mode: "institution", prefix: "/payment/open/institution", onBehalfOf: "sub-1" },
])("the Java SDK's request shapes, $mode paths", ({ prefix, onBehalfOf }) => {
  it("order refund (CreateRefundReq): refundReason null, unknown keys, SN header", async () => {
    const body = jacksonBody("PAYMENT_CREATE_REFUND", {
      refundRequestId: "sdk-o1",
      prepayId: ORDER.prepayId,
      refundAmount: "2.5",
      refundReason: null,
    });
    const a = await sdkCall(sb, "POST", `${prefix}/v1/pay/order/refund`, body, onBehalfOf);
    expectSuccess(a);
    expect(OrderRefundResult.parse(a.data)).toMatchObject({
      refundRequestId: "sdk-o1",
      prepayId: ORDER.prepayId,
      refundAmount: "2.5",
    });
    const [recorded] = sb.ledger.refundsFor("sdk-o1");
    expect(recorded).toMatchObject({ refundAmount: "2.5" });
    expect(recorded?.refundReason).toBeUndefined();
  });

  it("convert refund (CreateRefundConvertReq): receiverId a JSON number", async () => {
    const body = jacksonBody("ADDRESS_CREATE_REFUND_CONVERT", {
      refundRequestId: "sdk-c1",
      prepayId: CONVERT.prepayId,
      refundOrderCurrency: "USDT",
      refundOrderAmount: "40",
      refundPayCurrency: "BTC",
      refundPayAmount: "0.0006",
      refundReason: null,
      receiverId: 123456,
    });
    const a = await sdkCall(sb, "POST", `${prefix}/v1/pay/address/refundconvert`, body, onBehalfOf);
    expectSuccess(a);
    expect(ConvertRefundResult.parse(a.data)).toMatchObject({
      refundRequestId: "sdk-c1",
      refundOrderAmount: "40",
      refundPayAmount: "0.0006",
    });
    expect(sb.ledger.refundsFor("sdk-c1")[0]).toMatchObject({ receiverId: "123456" });

    // QueryRefundReqV2: GET, the parameter appended unencoded, signed over "".
    const d = await sdkCall(
      sb,
      "GET",
      `${prefix}/v2/pay/refund/details?refundRequestId=sdk-c1`,
      "",
      onBehalfOf,
    );
    expectSuccess(d);
    const details = RefundDetails.parse(d.data);
    expect(details).toMatchObject({ refundRequestId: "sdk-c1", refund_to_gate_uid: "123456" });
  });
});

describe("the Java SDK's lookups", () => {
  it("details with an unencoded refundRequestId holding '+' and '%'", async () => {
    for (const id of ["sdk+1", "sdk%1"]) {
      const body = jacksonBody("PAYMENT_CREATE_REFUND", {
        refundRequestId: id,
        prepayId: ORDER.prepayId,
        refundAmount: "1",
        refundReason: null,
      });
      expectSuccess(await sdkCall(sb, "POST", "/v1/pay/order/refund", body));
      const d = await sdkCall(sb, "GET", `/v2/pay/refund/details?refundRequestId=${id}`, "");
      expectSuccess(d);
      expect(RefundDetails.parse(d.data).refundRequestId).toBe(id);
    }
  });

  it("v1 query (QueryRefundReq) answers with the refund; an unknown id is 400304", async () => {
    const create = jacksonBody("PAYMENT_CREATE_REFUND", {
      refundRequestId: "sdk-q1",
      prepayId: ORDER.prepayId,
      refundAmount: "1",
      refundReason: "because",
    });
    expectSuccess(await sdkCall(sb, "POST", "/v1/pay/order/refund", create));
    const q = await sdkCall(
      sb,
      "POST",
      "/v1/pay/order/refund/query",
      jacksonBody("PAYMENT_QUERY_REFUND", { refundRequestId: "sdk-q1" }),
    );
    expectSuccess(q);
    expect(RefundQueryV1Result.parse(q.data)).toMatchObject({
      refundRequestId: "sdk-q1",
      refundAmount: "1",
    });
    const unknown = await sdkCall(sb, "GET", "/v2/pay/refund/details?refundRequestId=nope", "");
    expect(unknown.envelope).toMatchObject({ status: "FAIL", code: "400304" });
  });

  it("the details schema reads the SDK model's numeric ids and normalises them", () => {
    // QueryRefundRespV2 types refund_to_gate_uid and payerId as long, billType as int.
    const parsed = RefundDetails.parse(
      parseGatePayJson(
        '{"refundRequestId":"r1","status":"SUCCESS","refund_to_gate_uid":10002,"payerId":9007199254740993,"billType":2}',
      ),
    );
    expect(parsed).toMatchObject({
      refund_to_gate_uid: "10002",
      payerId: "9007199254740993",
      billType: "2",
    });
  });
});
