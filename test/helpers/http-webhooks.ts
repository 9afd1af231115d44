/**
 * A webhook service under test (pipeline, workers and the HTTP server), signed
 * notifications and the waits the webhook tests share.
 *
 * The sandbox delivers signed notifications to the real server (fastify on 127.0.0.1:0),
 * which applies them to refund records on the real Redis. Polling is made slow (first
 * poll after 60 s) so webhooks are what finalize refunds here, and the poll that was
 * scheduled at acceptance is then run by hand to show it has nothing left to do.
 */
import { capturedLogger } from "./captured-logger.js";
import { expect, onTestFinished } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import type { SandboxOptions } from "../../src/sandbox/index.js";
import { signRefundWebhook } from "../../src/gatepay/webhook.js";
import { startHttpServer, WEBHOOK_PATH, type HttpServer } from "../../src/http/server.js";
import { createMetrics, type RefundMetrics } from "../../src/worker/metrics.js";
import { startRefundWorkers, type RefundWorkers } from "../../src/worker/start-workers.js";
import { FAST_SETTINGS, SECRET, startPipeline, type Pipeline } from "./pipeline.js";
import { waitFor } from "./wait-for.js";

export const PREPAY = "4100200300";

export interface Service {
  p: Pipeline;
  server: HttpServer;
  metrics: RefundMetrics;
  workers: RefundWorkers | undefined;
  /** Log lines of the HTTP server and webhook receiver (JSON text). */
  httpLogs: string[];
}

export async function startService(
  name: string,
  opts: {
    workers?: boolean;
    sandbox?: Partial<SandboxOptions>;
    deliverWebhooks?: boolean;
    /** Service variables on top of the pipeline's (API_TOKEN, QUEUE_SHARDS). */
    env?: Record<string, string>;
  } = {},
): Promise<Service> {
  const p = await startPipeline({
    name,
    workers: false,
    sandbox: { settleDelayMs: Number.POSITIVE_INFINITY, ...opts.sandbox },
    ...(opts.env && { env: opts.env }),
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
  const { logger, logs: httpLogs } = capturedLogger("debug");
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

export function notification(
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

export async function postWebhook(
  server: HttpServer,
  body: string,
  headers: Record<string, string> = signRefundWebhook(SECRET, body),
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${WEBHOOK_PATH}`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

/** The value of one sample of the Prometheus text, matched by name and a subset of labels. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
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

export async function metricsText(server: HttpServer): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

export async function waitAccepted(s: Service, id: string): Promise<RefundRecord> {
  return waitFor(async () => {
    const r = await s.p.producer.getRefund(id);
    return r && (r.state === "accepted" || r.state === "processing") ? r : null;
  }, `${id} accepted by GatePay`);
}

export async function waitAllAcked(s: Service): Promise<void> {
  await waitFor(() => {
    const d = s.p.sandbox.webhookDeliveries();
    return d.length > 0 && d.every((x) => x.state === "acked");
  }, "every sandbox webhook delivery acknowledged");
}

export function enqueue(s: Service, id: string, refundAmount = "5") {
  return s.p.producer.enqueue({ refundRequestId: id, prepayId: PREPAY, refundAmount });
}
