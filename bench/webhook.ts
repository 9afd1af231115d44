/**
 * Webhook-to-final latency: a signed PAY_REFUND `REFUND_SUCCESS` notification (§7.3, the
 * sandbox's own body builder, the project's signer) is POSTed for an `accepted` refund,
 * one at a time; the receiver acknowledges only after the record is final, so the round
 * trip is the time from the notification leaving GatePay's side to the refund being
 * final. The pipeline is the project's worker process (workers + HTTP server); the
 * baseline is a bare node:http receiver that verifies, parses, writes one Redis hash and
 * acks. Each receiver runs in its own process; the sender is this process.
 */
import { Redis } from "ioredis";
import { Agent, request } from "undici";
import { signRefundWebhook } from "../src/gatepay/webhook.js";
import type { LedgerRefund } from "../src/sandbox/index.js";
import { buildRefundNotification } from "../src/sandbox/webhooks.js";
import { createRefundProducer } from "../src/producer/enqueue-refund.js";
import { forkService } from "./fork-once.js";
import type { BenchRedis } from "./redis-server.js";
import { BENCH_CLIENT_ID, BENCH_SECRET, makeRefunds, sandboxAdmin, seedOrders } from "./refunds.js";
import type { SandboxProcess } from "./sandbox-process.js";
import { percentile } from "./stats.js";
import type { WebhookChildRequest } from "./webhook-child.js";

/** Latency figures of one receiver. */
export interface WebhookLatency {
  mode: "baseline" | "pipeline";
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Pipeline: refunds `succeeded` after their webhook (must equal `count`). */
  finalAfter?: number;
}

/** Options of {@link runWebhookLatency}. */
export interface WebhookOptions {
  redis: BenchRedis;
  sandbox: SandboxProcess;
  count: number;
  log?: (line: string) => void;
}

interface Shot {
  refundRequestId: string;
  body: string;
}

async function send(url: string, shots: readonly Shot[]): Promise<number[]> {
  const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  const out: number[] = [];
  try {
    for (const shot of shots) {
      const headers = signRefundWebhook(BENCH_SECRET, shot.body);
      const started = performance.now();
      const res = await request(url, { method: "POST", headers, body: shot.body, dispatcher });
      const text = await res.body.text();
      out.push(performance.now() - started);
      if (res.statusCode !== 200 || !text.includes('"SUCCESS"')) {
        throw new Error(
          `webhook for ${shot.refundRequestId}: HTTP ${res.statusCode} ${text.slice(0, 200)}`,
        );
      }
    }
  } finally {
    await dispatcher.close();
  }
  return out;
}

function summarize(mode: WebhookLatency["mode"], ms: readonly number[]): WebhookLatency {
  // The first tenth warms connections and code paths; it is not counted.
  const counted = ms.slice(Math.floor(ms.length / 10));
  return {
    mode,
    count: counted.length,
    p50Ms: percentile(counted, 50),
    p99Ms: percentile(counted, 99),
    maxMs: Math.max(...counted),
  };
}

function notification(
  r: { refundRequestId: string; prepayId: string; refundAmount: string },
  gateRefundId: string,
  createdAtMs: number,
): string {
  const refund = {
    refundRequestId: r.refundRequestId,
    prepayId: r.prepayId,
    refundAmount: r.refundAmount,
    gateRefundId,
    createdAtMs,
  } as LedgerRefund;
  return buildRefundNotification(
    refund,
    { amount: "100.00", currency: "USDT" },
    "REFUND_SUCCESS",
    BENCH_CLIENT_ID,
  );
}

/** Measures both receivers, baseline first. */
export async function runWebhookLatency(o: WebhookOptions): Promise<WebhookLatency[]> {
  const admin = new Redis(o.redis.url);
  const total = Math.round(o.count / 0.9);
  const out: WebhookLatency[] = [];
  try {
    await admin.flushall();
    await o.sandbox.reset();
    // Refunds stay in progress at the sandbox: only the webhook makes them final.
    await sandboxAdmin(o.sandbox.url, "POST", "/config", { settleDelayMs: 3_600_000 });

    const base = await forkService<{ url: string }>("./webhook-child.ts", {
      mode: "baseline",
      redisUrl: o.redis.url,
      prefix: "{bench-wh-b}",
      sandboxUrl: o.sandbox.url,
    } satisfies WebhookChildRequest);
    try {
      const shots = makeRefunds("HB", total).map((r, i) => ({
        refundRequestId: r.refundRequestId,
        body: notification(r, String(790_000_000_000_000_000n + BigInt(i)), Date.now()),
      }));
      out.push(summarize("baseline", await send(base.answer.url, shots)));
    } finally {
      await base.close();
    }

    const prefix = "{bench-wh-p}";
    const pipe = await forkService<{ url: string }>("./webhook-child.ts", {
      mode: "pipeline",
      redisUrl: o.redis.url,
      prefix,
      sandboxUrl: o.sandbox.url,
    } satisfies WebhookChildRequest);
    const producer = createRefundProducer({ redisUrl: o.redis.url, prefix });
    try {
      const refunds = makeRefunds("HP", total);
      await seedOrders(o.sandbox.url, refunds);
      await producer.enqueueBulk(refunds);
      const ids = refunds.map((r) => r.refundRequestId);
      const deadline = Date.now() + 120_000;
      let records = await producer.store.getMany(ids);
      while (!records.every((r) => r?.state === "accepted")) {
        if (Date.now() > deadline) throw new Error("refunds did not all reach accepted in 120 s");
        await new Promise((r) => setTimeout(r, 200));
        records = await producer.store.getMany(ids);
      }
      const shots = refunds.map((r, i) => {
        const rec = records[i]!;
        return {
          refundRequestId: r.refundRequestId,
          body: notification(r, rec.gatepay?.gateRefundId ?? "0", Date.parse(rec.createdAt)),
        };
      });
      const latency = summarize("pipeline", await send(pipe.answer.url, shots));
      const after = await producer.store.getMany(ids);
      latency.finalAfter = after.filter((r) => r?.state === "succeeded").length;
      if (latency.finalAfter !== total) {
        throw new Error(
          `only ${latency.finalAfter} of ${total} refunds succeeded after their webhook`,
        );
      }
      out.push(latency);
    } finally {
      await producer.close();
      await pipe.close();
    }
  } finally {
    await o.sandbox.reset();
    await admin.flushall();
    admin.disconnect();
  }
  for (const l of out) {
    o.log?.(
      `  webhook ${l.mode}: p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms (${l.count})`,
    );
  }
  return out;
}
