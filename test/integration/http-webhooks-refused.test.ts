/**
 * POST /webhooks/gatepay over real HTTP: replays, late and forged notifications change
 * nothing; a store failure answers 500 and GatePay's retry lands.
 */
import { describe, expect, it } from "vitest";
import { signRefundWebhook, WEBHOOK_ACK_BODY } from "../../src/gatepay/webhook.js";
import { METRIC_NAMES } from "../../src/worker/metrics.js";
import { SECRET } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";
import {
  PREPAY,
  startService,
  notification,
  postWebhook,
  sample,
  metricsText,
  waitAccepted,
  waitAllAcked,
  enqueue,
} from "../helpers/http-webhooks.js";

describe("POST /webhooks/gatepay", () => {
  it("changes nothing for replays, a REFUND_PROCESS after the final status, forgeries and malformed bodies", async () => {
    // reorder: the sandbox itself delivers REFUND_PROCESS only after the final notification.
    const s = await startService("http-wh-replay", {
      sandbox: { webhook: { schedule: "compressed", reorder: true } },
    });
    await enqueue(s, "R1");
    await waitAccepted(s, "R1");
    s.p.sandbox.settleNow({ refundRequestId: "R1", status: "SUCCESS" });
    await s.p.waitFinal("R1");
    await waitFor(
      () => s.p.sandbox.webhookDeliveries().filter((d) => d.state === "acked").length === 2,
      "the final and the late REFUND_PROCESS notifications acknowledged",
    );
    const before = (await s.p.producer.getRefund("R1"))!;
    expect(before.state).toBe("succeeded");
    expect(before.history.map((h) => h.state)).toEqual([
      "queued",
      "submitting",
      "accepted",
      "succeeded",
    ]);

    const delivered = s.p.sandbox
      .webhookDeliveries()
      .find((d) => d.refundRequestId === "R1" && d.bizStatus === "REFUND_SUCCESS")!;
    // A byte-identical replay (same timestamp, nonce and signature), twice, then re-signed.
    const identical = signRefundWebhook(SECRET, delivered.body);
    for (const headers of [identical, identical, signRefundWebhook(SECRET, delivered.body)]) {
      expect(await postWebhook(s.server, delivered.body, headers)).toEqual({
        status: 200,
        text: WEBHOOK_ACK_BODY,
      });
    }
    // An in-progress status after the final one.
    expect(await postWebhook(s.server, notification("R1", "REFUND_PROCESS"))).toEqual({
      status: 200,
      text: WEBHOOK_ACK_BODY,
    });

    // Forged: a different secret; a body changed after signing; no signature at all.
    const rejected = notification("R1", "REFUND_REJECTED");
    const forged = await postWebhook(s.server, rejected, signRefundWebhook("guessed", rejected));
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.text)).toMatchObject({
      returnCode: "FAIL",
      error: { code: "BAD_SIGNATURE" },
    });
    const tampered = await postWebhook(
      s.server,
      rejected,
      signRefundWebhook(SECRET, delivered.body),
    );
    expect(tampered.status).toBe(401);
    const unsigned = await postWebhook(s.server, rejected, { "Content-Type": "application/json" });
    expect(unsigned.status).toBe(401);
    expect(JSON.parse(unsigned.text)).toMatchObject({ error: { code: "MISSING_SIGNATURE" } });

    // Malformed but correctly signed: 400 with the field path.
    const notJson = await postWebhook(s.server, "{ not json");
    expect(notJson.status).toBe(400);
    const noId = JSON.stringify({
      bizType: "PAY_REFUND",
      bizId: "1",
      bizStatus: "REFUND_SUCCESS",
      data: JSON.stringify({ refundInfo: { prepayId: PREPAY } }),
    });
    const missingId = await postWebhook(s.server, noId);
    expect(missingId.status).toBe(400);
    expect(JSON.parse(missingId.text)).toMatchObject({
      error: {
        code: "MALFORMED_WEBHOOK",
        issues: [{ path: "data.refundInfo.refundRequestId" }],
      },
    });
    // Larger than 64 KB: refused before the signature is even computed.
    const huge = notification("R1", "REFUND_REJECTED").replace(
      "}",
      `,"pad":"${"x".repeat(70_000)}"}`,
    );
    const tooLarge = await postWebhook(s.server, huge);
    expect(tooLarge.status).toBe(413);

    const after = (await s.p.producer.getRefund("R1"))!;
    expect(after).toEqual(before);

    const text = await metricsText(s.server);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "applied" })).toBe(1);
    // The sandbox's late REFUND_PROCESS, three replays and our REFUND_PROCESS.
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "unchanged" })).toBe(5);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "bad_signature" })).toBe(2);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "missing_signature" })).toBe(1);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "malformed" })).toBe(2);
    for (const line of s.httpLogs) {
      expect(line).not.toContain(identical["X-GatePay-Signature"]!);
      expect(line).not.toContain(SECRET);
    }
  });

  it("answers 500 while the change cannot be stored, and GatePay's retry then lands", async () => {
    const s = await startService("http-wh-store-fail", {
      sandbox: { webhook: { schedule: "compressed" } },
    });
    await enqueue(s, "X1");
    await waitAccepted(s, "X1");
    // Make the record unreadable: the key holds a string, so HGET fails with WRONGTYPE.
    const key = s.p.producer.store.keys.record("X1");
    await s.p.redis.rename(key, `${key}:aside`);
    await s.p.redis.set(key, "not a hash");

    s.p.sandbox.settleNow({ refundRequestId: "X1", status: "SUCCESS" });
    const delivery = await waitFor(
      () =>
        s.p.sandbox
          .webhookDeliveries()
          .find((d) => d.refundRequestId === "X1" && d.lastHttpStatus === 500),
      "a delivery refused with 500",
    );
    expect(delivery.state).toBe("pending");

    await s.p.redis.del(key);
    await s.p.redis.rename(`${key}:aside`, key);
    const final = await s.p.waitFinal("X1");
    expect(final.state).toBe("succeeded");
    expect(final.gatepay?.source).toBe("webhook");
    await waitAllAcked(s);
    expect(delivery.attempts).toBeGreaterThanOrEqual(2);

    const text = await metricsText(s.server);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "error" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "applied" })).toBe(1);
    const errorLine = s.httpLogs.find((l) => l.includes("webhook not stored"));
    expect(errorLine).toBeDefined();
  });
});
