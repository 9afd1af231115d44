/**
 * POST /webhooks/gatepay over real HTTP: webhooks applied end to end, for refunds still
 * submitting, and unknown or mismatched ones acknowledged.
 */
import { describe, expect, it } from "vitest";
import { WEBHOOK_ACK_BODY } from "../../src/gatepay/webhook.js";
import { pollJobId } from "../../src/jobs/job-ids.js";
import { METRIC_NAMES } from "../../src/worker/metrics.js";
import { waitFor } from "../helpers/wait-for.js";
import {
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
  it("applies the sandbox's webhooks end to end, and the pending poll becomes a no-op", async () => {
    const s = await startService("http-wh-e2e", {
      sandbox: { webhook: { schedule: "compressed", sendProcess: true, duplicateRatio: 1 } },
    });
    await enqueue(s, "W1");
    await enqueue(s, "W2");
    await waitAccepted(s, "W1");
    await waitAccepted(s, "W2");
    s.p.sandbox.settleNow({ refundRequestId: "W1", status: "SUCCESS" });
    s.p.sandbox.settleNow({ refundRequestId: "W2", status: "FAIL", reason: "card closed" });

    const w1 = await s.p.waitFinal("W1");
    const w2 = await s.p.waitFinal("W2");
    expect(w1.state).toBe("succeeded");
    expect(w2.state).toBe("failed");
    // The webhook, not a poll, settled them: the stored answer is the notification's.
    expect(w1.gatepay).toMatchObject({ source: "webhook", status: "REFUND_SUCCESS" });
    expect(w2.gatepay).toMatchObject({ source: "webhook", status: "REFUND_REJECTED" });
    for (const r of [w1, w2]) {
      expect(r.history.filter((h) => h.state === r.state)).toHaveLength(1);
      expect(s.p.sandbox.ledger.refundsFor(r.refundRequestId)).toHaveLength(1);
    }

    // Every notification (each sent twice) was acknowledged with GatePay's body.
    await waitAllAcked(s);
    const deliveries = s.p.sandbox.webhookDeliveries();
    expect(deliveries.filter((d) => d.duplicate).length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.lastHttpStatus === 200)).toBe(true);
    const after = await s.p.producer.getRefund("W1");
    expect(after?.version).toBe(w1.version);

    // The poll scheduled at acceptance is still waiting (60 s); run it now: nothing to do.
    const poll = await s.p.producer.queues.poll.getJob(pollJobId("W1", 1));
    expect(poll).toBeDefined();
    expect(await poll!.getState()).toBe("delayed");
    await poll!.promote();
    const result = await waitFor(
      async () =>
        (await s.p.producer.queues.poll.getJob(pollJobId("W1", 1)))?.returnvalue as
          { outcome: string } | undefined,
      "the promoted poll to complete",
    );
    expect(result).toEqual({ outcome: "skipped" });
    expect((await s.p.producer.getRefund("W1"))?.version).toBe(w1.version);
    expect(s.p.sandbox.counters().requests.refundDetails).toBe(0);

    const text = await metricsText(s.server);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "applied" })).toBeGreaterThanOrEqual(2);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "unchanged" })).toBeGreaterThanOrEqual(2);
    expect(sample(text, METRIC_NAMES.refundsFinal, { state: "succeeded" })).toBe(1);
    expect(sample(text, METRIC_NAMES.refundsFinal, { state: "failed" })).toBe(1);
    expect(sample(text, `${METRIC_NAMES.timeToFinal}_count`, { state: "succeeded" })).toBe(1);
    await waitFor(
      async () => sample(await metricsText(s.server), METRIC_NAMES.polls, { outcome: "skipped" }),
      "the skipped poll to be counted",
    );
    expect(
      sample(text, `${METRIC_NAMES.gatepayLatency}_count`, {
        endpoint: "orderRefund",
        outcome: "ok",
      }),
    ).toBe(2);
    expect(sample(text, METRIC_NAMES.submitAttempts, { outcome: "accepted" })).toBe(2);
  });

  it("applies a webhook for a refund still submitting; acknowledges and logs unknown and mismatched ones", async () => {
    // No workers in this process: webhooks go through the producer's store.
    const s = await startService("http-wh-submitting", { workers: false, deliverWebhooks: false });
    const store = s.p.producer.store;
    for (const id of ["S1", "S2", "S3"]) {
      await enqueue(s, id);
      const t = await store.transition(id, {
        type: "submit-started",
        attempt: 1,
        leaseOwner: "test-owner",
        leaseUntilMs: Date.now() + 60_000,
      });
      expect(t.record?.state).toBe("submitting");
    }

    // In progress while our POST is (as far as we know) in flight: GatePay has it.
    expect((await postWebhook(s.server, notification("S1", "REFUND_PROCESS"))).text).toBe(
      WEBHOOK_ACK_BODY,
    );
    const s1 = (await store.get("S1"))!;
    expect(s1.state).toBe("accepted");
    expect(s1.poll).toBeDefined();
    expect(await s.p.producer.queues.poll.getJob(pollJobId("S1", 1))).toBeDefined();
    expect((await postWebhook(s.server, notification("S1", "REFUND_SUCCESS"))).text).toBe(
      WEBHOOK_ACK_BODY,
    );
    expect((await store.get("S1"))?.state).toBe("succeeded");

    // Straight from submitting to final.
    expect((await postWebhook(s.server, notification("S2", "REFUND_REJECTED"))).status).toBe(200);
    const s2 = (await store.get("S2"))!;
    expect(s2.state).toBe("failed");
    expect(s2.history.map((h) => h.state)).toEqual(["queued", "submitting", "failed"]);

    // Unknown refund: acknowledged (a retry could not change anything), logged, not created.
    const unknown = await postWebhook(s.server, notification("NOPE", "REFUND_SUCCESS"));
    expect(unknown).toEqual({ status: 200, text: WEBHOOK_ACK_BODY });
    expect(await store.get("NOPE")).toBeNull();
    const warn = s.httpLogs
      .map((l) => JSON.parse(l) as { level: number; refundRequestId?: string; msg: string })
      .find((l) => l.refundRequestId === "NOPE");
    expect(warn).toMatchObject({ level: 40 });
    expect(warn?.msg).toMatch(/unknown refund/);

    // Signed, ours, but about another order: acknowledged, not applied.
    const other = await postWebhook(s.server, notification("S3", "REFUND_SUCCESS", "999"));
    expect(other).toEqual({ status: 200, text: WEBHOOK_ACK_BODY });
    expect((await store.get("S3"))?.state).toBe("submitting");

    const text = await metricsText(s.server);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "applied" })).toBe(3);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "unknown_refund" })).toBe(1);
    expect(sample(text, METRIC_NAMES.webhooks, { outcome: "mismatch" })).toBe(1);
  });
});
