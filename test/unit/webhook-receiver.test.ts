/**
 * The webhook receiver's refusals, which must happen before any state is read: the
 * context here throws on any use, so a refusal that touched the store would fail the
 * test. Accepted webhooks (which read and write Redis) are covered in
 * test/integration/http-webhooks-*.test.ts.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { signRefundWebhook, WEBHOOK_ACK_BODY } from "../../src/gatepay/webhook.js";
import { createLogger } from "../../src/logger.js";
import type { RefundContext } from "../../src/worker/context.js";
import type { WebhookOutcome } from "../../src/worker/metrics.js";
import { receiveRefundWebhook } from "../../src/worker/webhook-receiver.js";

const SECRET = "unit-webhook-secret-0123456789";

function tripwireContext(): { context: RefundContext; touched: string[] } {
  const touched: string[] = [];
  const context = new Proxy({} as RefundContext, {
    get(_target, prop) {
      touched.push(String(prop));
      throw new Error(`context.${String(prop)} used before the webhook was verified`);
    },
  });
  return { context, touched };
}

/** `secret: null` = no secret configured. */
function setup(secret: string | null = SECRET) {
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString("utf8"));
        cb();
      },
    }),
  });
  const outcomes: WebhookOutcome[] = [];
  const { context, touched } = tripwireContext();
  const receive = (headers: Record<string, string>, rawBody: string) =>
    receiveRefundWebhook(
      {
        secret: secret === null ? undefined : { reveal: () => secret },
        context,
        logger,
        metrics: {
          observeWebhook: (o) => outcomes.push(o),
          observeStaleWebhook: () => undefined,
          observeFinal: () => undefined,
        },
      },
      { headers, rawBody: Buffer.from(rawBody, "utf8") },
    );
  return { receive, outcomes, touched, lines };
}

const validBody = JSON.stringify({
  bizType: "PAY_REFUND",
  bizId: "9001",
  bizStatus: "REFUND_SUCCESS",
  clientId: "c1",
  data: JSON.stringify({ refundInfo: { refundRequestId: "R1", prepayId: "P1" } }),
});

function parse(body: string): { returnCode: string; error: { code: string; issues?: unknown } } {
  return JSON.parse(body) as { returnCode: string; error: { code: string; issues?: unknown } };
}

describe("receiveRefundWebhook refusals (nothing read, nothing changed)", () => {
  it("answers 503 when no secret is configured, whatever the request", async () => {
    const s = setup(null);
    const a = await s.receive(signRefundWebhook("anything", validBody), validBody);
    expect(a.status).toBe(503);
    expect(a.outcome).toBe("not_configured");
    expect(parse(a.body).error.code).toBe("WEBHOOK_SECRET_NOT_CONFIGURED");
    expect(s.touched).toEqual([]);
  });

  it("answers 401 when signature headers are missing", async () => {
    const s = setup();
    const headers = signRefundWebhook(SECRET, validBody);
    delete headers["X-GatePay-Signature"];
    const a = await s.receive(headers, validBody);
    expect(a.status).toBe(401);
    expect(a.outcome).toBe("missing_signature");
    expect(parse(a.body)).toMatchObject({
      returnCode: "FAIL",
      error: { code: "MISSING_SIGNATURE" },
    });
    expect(s.touched).toEqual([]);
  });

  it("answers 401 for a signature made with another secret", async () => {
    const s = setup();
    const a = await s.receive(signRefundWebhook("not-the-secret", validBody), validBody);
    expect(a.status).toBe(401);
    expect(a.outcome).toBe("bad_signature");
    expect(a.body).not.toBe(WEBHOOK_ACK_BODY);
    expect(s.touched).toEqual([]);
  });

  it("answers 401 for a body changed after signing", async () => {
    const s = setup();
    const headers = signRefundWebhook(SECRET, validBody);
    const a = await s.receive(headers, validBody.replace("REFUND_SUCCESS", "REFUND_REJECTED"));
    expect(a.status).toBe(401);
    expect(a.outcome).toBe("bad_signature");
    expect(s.touched).toEqual([]);
  });

  it.each([
    ["not JSON", "{not json", "body"],
    [
      "another bizType",
      JSON.stringify({ bizType: "PAY", bizId: "1", bizStatus: "PAID" }),
      "bizType",
    ],
    [
      "no refundRequestId",
      JSON.stringify({
        bizType: "PAY_REFUND",
        bizId: "1",
        bizStatus: "REFUND_SUCCESS",
        data: JSON.stringify({ refundInfo: { prepayId: "P1" } }),
      }),
      "data.refundInfo.refundRequestId",
    ],
  ])("answers 400 for a correctly signed body that is %s", async (_what, body, path) => {
    const s = setup();
    const a = await s.receive(signRefundWebhook(SECRET, body), body);
    expect(a.status).toBe(400);
    expect(a.outcome).toBe("malformed");
    const parsed = parse(a.body);
    expect(parsed.returnCode).toBe("FAIL");
    expect(parsed.error.code).toBe("MALFORMED_WEBHOOK");
    expect(parsed.error.issues).toEqual([{ path, message: expect.any(String) as string }]);
    expect(s.touched).toEqual([]);
  });

  it("counts each outcome once and never logs the signature or the secret", async () => {
    const s = setup();
    const headers = signRefundWebhook("not-the-secret", validBody);
    await s.receive(headers, validBody);
    await s.receive({}, validBody);
    expect(s.outcomes).toEqual(["bad_signature", "missing_signature"]);
    const log = s.lines.join("");
    expect(log).not.toContain(headers["X-GatePay-Signature"]!);
    expect(log).not.toContain(SECRET);
  });
});
