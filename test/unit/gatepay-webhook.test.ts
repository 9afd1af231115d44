import { describe, expect, it } from "vitest";
import { signPayload } from "../../src/gatepay/signing.js";
import {
  signRefundWebhook,
  verifyRefundWebhook,
  WEBHOOK_ACK_BODY,
  WebhookPayloadError,
  WebhookVerificationError,
} from "../../src/gatepay/webhook.js";

const SECRET = "payment-api-secret";
const TS = 1700073707111;
const NONCE = "abcdefghij0123456789ABCDEFGHIJKL";

// The shape of REFUND-NOTIFY's example (gatepay-api.md §7.3), with a big id as a number.
const DATA = {
  merchantTradeNo: "M1",
  currency: "USDT",
  orderAmount: "1.2",
  createTime: 1700073707000,
  refundInfo: {
    refundRequestId: "rr-1",
    prepayId: "79553022813274112",
    orderAmount: "1.2",
    refundAmount: "0.01200000",
  },
};

function notification(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    bizType: "PAY_REFUND",
    bizId: "79553022813274112",
    bizStatus: "REFUND_SUCCESS",
    clientId: "smsWJbaQektcDhOw",
    data: JSON.stringify(DATA),
    ...overrides,
  });
}

function signed(body: string, secret = SECRET) {
  return { secret: SECRET, headers: signRefundWebhook(secret, body, TS, NONCE), rawBody: body };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("verifyRefundWebhook", () => {
  it("verifies and parses a good notification (body as string and as Buffer)", () => {
    const body = notification();
    for (const rawBody of [body, Buffer.from(body, "utf8")]) {
      const n = verifyRefundWebhook({ ...signed(body), rawBody });
      expect(n).toEqual({
        bizType: "PAY_REFUND",
        bizId: "79553022813274112",
        bizStatus: "REFUND_SUCCESS",
        clientId: "smsWJbaQektcDhOw",
        refundRequestId: "rr-1",
        prepayId: "79553022813274112",
        refundAmount: "0.01200000",
        orderAmount: "1.2",
        data: DATA,
        timestampMs: TS,
        nonce: NONCE,
      });
    }
  });

  it("verifies over the exact raw bytes, multi-byte UTF-8 included", () => {
    const body = notification({ data: JSON.stringify({ ...DATA, goodsName: "café ☕" }) });
    const n = verifyRefundWebhook({ ...signed(body), rawBody: Buffer.from(body, "utf8") });
    expect(n.data.goodsName).toBe("café ☕");
  });

  it("does not reject an old timestamp (GatePay retries for hours) but exposes it", () => {
    const body = notification();
    const old = Date.now() - 6 * 3600_000;
    const n = verifyRefundWebhook({
      secret: SECRET,
      headers: signRefundWebhook(SECRET, body, old, NONCE),
      rawBody: body,
    });
    expect(n.timestampMs).toBe(old);
  });

  it("reads headers case-insensitively, Node style and as arrays", () => {
    const body = notification();
    const h = signRefundWebhook(SECRET, body, TS, NONCE);
    const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyRefundWebhook({ secret: SECRET, headers: lower, rawBody: body }).bizId).toBe(
      "79553022813274112",
    );
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), [v]]));
    expect(verifyRefundWebhook({ secret: SECRET, headers: upper, rawBody: body }).nonce).toBe(
      NONCE,
    );
  });

  it("accepts an uppercase hex signature", () => {
    const body = notification();
    const headers = {
      "x-gatepay-timestamp": String(TS),
      "x-gatepay-nonce": NONCE,
      "x-gatepay-signature": signPayload(SECRET, TS, NONCE, body).toUpperCase(),
    };
    expect(verifyRefundWebhook({ secret: SECRET, headers, rawBody: body }).refundRequestId).toBe(
      "rr-1",
    );
  });

  it("refuses a wrong secret", () => {
    const body = notification();
    const err = thrown(() => verifyRefundWebhook(signed(body, "another-secret")));
    expect(err).toBeInstanceOf(WebhookVerificationError);
    expect((err as WebhookVerificationError).reason).toBe("bad-signature");
  });

  it("refuses a tampered body, even one that only changes whitespace", () => {
    const body = notification();
    const headers = signRefundWebhook(SECRET, body, TS, NONCE);
    for (const tampered of [
      body.replace("REFUND_SUCCESS", "REFUND_REJECTED"),
      body.replace("0.01200000", "1.01200000"),
      `${body} `,
      JSON.stringify(JSON.parse(body), null, 1),
    ]) {
      const err = thrown(() => verifyRefundWebhook({ secret: SECRET, headers, rawBody: tampered }));
      expect((err as WebhookVerificationError).reason).toBe("bad-signature");
    }
  });

  it("refuses a tampered timestamp or nonce", () => {
    const body = notification();
    const h = signRefundWebhook(SECRET, body, TS, NONCE);
    for (const headers of [
      { ...h, "X-GatePay-Timestamp": String(TS + 1) },
      { ...h, "X-GatePay-Nonce": `${NONCE.slice(1)}x` },
    ]) {
      const err = thrown(() => verifyRefundWebhook({ secret: SECRET, headers, rawBody: body }));
      expect((err as WebhookVerificationError).reason).toBe("bad-signature");
    }
  });

  it.each(["X-GatePay-Timestamp", "X-GatePay-Nonce", "X-GatePay-Signature"])(
    "refuses a missing %s",
    (name) => {
      const body = notification();
      const headers: Record<string, string | undefined> = {
        ...signRefundWebhook(SECRET, body, TS, NONCE),
      };
      headers[name] = undefined;
      const err = thrown(() => verifyRefundWebhook({ secret: SECRET, headers, rawBody: body }));
      expect(err).toBeInstanceOf(WebhookVerificationError);
      expect((err as WebhookVerificationError).reason).toBe("missing-header");
      expect((err as Error).message).toContain(name);
    },
  );

  it("refuses a timestamp that is not epoch milliseconds", () => {
    const body = notification();
    const headers = {
      ...signRefundWebhook(SECRET, body, TS, NONCE),
      "X-GatePay-Timestamp": "soon",
    };
    const err = thrown(() => verifyRefundWebhook({ secret: SECRET, headers, rawBody: body }));
    expect((err as WebhookVerificationError).reason).toBe("missing-header");
  });

  it("accepts client_id instead of clientId, and neither", () => {
    const a = notification({ clientId: undefined, client_id: "legacy" });
    expect(verifyRefundWebhook(signed(a)).clientId).toBe("legacy");
    const b = notification({ clientId: undefined });
    const n = verifyRefundWebhook(signed(b));
    expect(n).not.toHaveProperty("clientId");
  });

  it("accepts data already an object and a numeric bizId, keeping big ids exact", () => {
    const body = `{"bizType":"PAY_REFUND","bizId":79553022813274112999,"bizStatus":"REFUND_PROCESS","data":{"refundInfo":{"refundRequestId":"rr-2","prepayId":79553022813274112999}}}`;
    const n = verifyRefundWebhook(signed(body));
    expect(n.bizId).toBe("79553022813274112999");
    expect(n.prepayId).toBe("79553022813274112999");
    expect(n).not.toHaveProperty("refundAmount");
  });

  it.each([
    ["body not JSON", "{not json", "body"],
    ["body not an object", "[1,2]", "body"],
    ["bizType missing", notification({ bizType: undefined }), "bizType"],
    ["bizType PAY", notification({ bizType: "PAY" }), "bizType"],
    ["data not JSON", notification({ data: "{oops" }), "data"],
    ["data missing", notification({ data: undefined }), "data"],
    ["bizStatus missing", notification({ bizStatus: undefined }), "bizStatus"],
    [
      "refundRequestId missing",
      notification({ data: JSON.stringify({ refundInfo: { prepayId: "1" } }) }),
      "data.refundInfo.refundRequestId",
    ],
    ["refundInfo missing", notification({ data: "{}" }), "data.refundInfo"],
  ])("a signed but unusable body: %s → WebhookPayloadError(%s)", (_name, body, field) => {
    const err = thrown(() => verifyRefundWebhook(signed(body)));
    expect(err).toBeInstanceOf(WebhookPayloadError);
    expect((err as WebhookPayloadError).field).toBe(field);
  });

  it("checks the signature before looking at the body", () => {
    const body = "{not json";
    const headers = signRefundWebhook("wrong", body, TS, NONCE);
    const err = thrown(() => verifyRefundWebhook({ secret: SECRET, headers, rawBody: body }));
    expect(err).toBeInstanceOf(WebhookVerificationError);
  });
});

describe("signRefundWebhook and the ack", () => {
  it("signs timestamp\\nnonce\\nbody\\n with the secret", () => {
    const h = signRefundWebhook(SECRET, "{}", TS, NONCE);
    expect(h["X-GatePay-Timestamp"]).toBe(String(TS));
    expect(h["X-GatePay-Nonce"]).toBe(NONCE);
    expect(h["X-GatePay-Signature"]).toBe(signPayload(SECRET, TS, NONCE, "{}"));
  });

  it("defaults to now and a fresh nonce", () => {
    const a = signRefundWebhook(SECRET, "{}");
    const b = signRefundWebhook(SECRET, "{}");
    expect(a["X-GatePay-Nonce"]).not.toBe(b["X-GatePay-Nonce"]);
    expect(Math.abs(Number(a["X-GatePay-Timestamp"]) - Date.now())).toBeLessThan(5000);
  });

  it("acks with GatePay's success body", () => {
    expect(JSON.parse(WEBHOOK_ACK_BODY)).toEqual({ returnCode: "SUCCESS", returnMessage: "" });
  });
});
