/**
 * GatePay PAY_REFUND webhooks over real HTTP: the sandbox delivers signed notifications to
 * the real server (fastify on 127.0.0.1:0), which applies them to refund records on the
 * real Redis. Polling is made slow (first poll after 60 s) so webhooks are what finalize
 * refunds here, and the poll that was scheduled at acceptance is then run by hand to show
 * it has nothing left to do.
 */
import { Writable } from "node:stream";
import { describe, expect, it, onTestFinished } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import type { SandboxOptions } from "../../src/sandbox/index.js";
import { signRefundWebhook, WEBHOOK_ACK_BODY } from "../../src/gatepay/webhook.js";
import { createLogger } from "../../src/logger.js";
import { pollJobId } from "../../src/jobs/job-ids.js";
import { startHttpServer, WEBHOOK_PATH, type HttpServer } from "../../src/http/server.js";
import { createMetrics, METRIC_NAMES, type RefundMetrics } from "../../src/worker/metrics.js";
import { startRefundWorkers, type RefundWorkers } from "../../src/worker/start-workers.js";
import { FAST_SETTINGS, SECRET, startPipeline, type Pipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

const PREPAY = "4100200300";

interface Service {
  p: Pipeline;
  server: HttpServer;
  metrics: RefundMetrics;
  workers: RefundWorkers | undefined;
  /** Log lines of the HTTP server and webhook receiver (JSON text). */
  httpLogs: string[];
}

async function startService(
  name: string,
  opts: { workers?: boolean; sandbox?: Partial<SandboxOptions>; deliverWebhooks?: boolean } = {},
): Promise<Service> {
  const p = await startPipeline({
    name,
    workers: false,
    sandbox: { settleDelayMs: Number.POSITIVE_INFINITY, ...opts.sandbox },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  let workers: RefundWorkers | undefined;
  if (opts.workers !== false) {
    const w = await startRefundWorkers({
      config: p.config,
      logger: p.logger,
      // Slow polls: the webhook, not the poll, must be what finalizes the refund.
      settings: {
        ...FAST_SETTINGS,
        poll: { firstDelayMs: 60_000, maxDelayMs: 60_000, deadlineMs: 600_000 },
      },
      reconciler: { intervalMs: 0 },
      stalledIntervalMs: 1_000,
      lockDurationMs: 2_000,
      metrics,
    });
    onTestFinished(() => w.close());
    await w.waitUntilReady();
    workers = w;
  }
  const httpLogs: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        httpLogs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        cb();
      },
    }),
  });
  const server = await startHttpServer({
    config: p.config,
    producer: p.producer,
    logger,
    metrics,
    port: 0,
    host: "127.0.0.1",
    ...(workers && { workers }),
  });
  onTestFinished(() => server.close());
  if (opts.deliverWebhooks !== false) {
    p.sandbox.configure({ webhookUrl: `${server.url}${WEBHOOK_PATH}` });
  }
  p.sandbox.seedOrders({ prepayId: PREPAY, amount: "100", currency: "USDT", kind: "order" });
  return { p, server, metrics, workers, httpLogs };
}

function notification(
  refundRequestId: string,
  bizStatus: string,
  prepayId: string = PREPAY,
): string {
  return JSON.stringify({
    bizType: "PAY_REFUND",
    bizId: `gate-${refundRequestId}`,
    bizStatus,
    clientId: "test-client",
    data: JSON.stringify({
      currency: "USDT",
      orderAmount: "100",
      refundInfo: { refundRequestId, prepayId, orderAmount: "100", refundAmount: "5" },
    }),
  });
}

async function postWebhook(
  server: HttpServer,
  body: string,
  headers: Record<string, string> = signRefundWebhook(SECRET, body),
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${WEBHOOK_PATH}`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

/** The value of one sample of the Prometheus text, matched by name and a subset of labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function metricsText(server: HttpServer): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

async function waitAccepted(s: Service, id: string): Promise<RefundRecord> {
  return waitFor(async () => {
    const r = await s.p.producer.getRefund(id);
    return r && (r.state === "accepted" || r.state === "processing") ? r : null;
  }, `${id} accepted by GatePay`);
}

async function waitAllAcked(s: Service): Promise<void> {
  await waitFor(() => {
    const d = s.p.sandbox.webhookDeliveries();
    return d.length > 0 && d.every((x) => x.state === "acked");
  }, "every sandbox webhook delivery acknowledged");
}

function enqueue(s: Service, id: string, refundAmount = "5") {
  return s.p.producer.enqueue({ refundRequestId: id, prepayId: PREPAY, refundAmount });
}

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
