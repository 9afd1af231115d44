/**
 * Child-process entry of the webhook latency benchmark: the receiving side, alone in its
 * process.
 * - `pipeline`: the project's worker process as `gatepay-refunds worker` runs it — submit
 *   and poll workers (first poll pushed out of the way, reconciler off) and the HTTP
 *   server with its webhook route, metrics and `info` logging (to /dev/null).
 * - `baseline`: a bare node:http server that checks the signature (the project's
 *   verifier), parses the §7.3 body, writes the status with one Redis HSET and acks.
 *
 * Request: `{ mode, redisUrl, prefix, sandboxUrl }`; answer `{ url }`. Then a `close`
 * message stops it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { pino } from "pino";
import { loadConfig } from "../src/config.js";
import { verifySignature, GATEPAY_HEADERS } from "../src/gatepay/signing.js";
import { WEBHOOK_ACK_BODY } from "../src/gatepay/webhook.js";
import { createLogger } from "../src/logger.js";
import { createRefundProducer } from "../src/producer/enqueue-refund.js";
import { startHttpServer, WEBHOOK_PATH } from "../src/http/server.js";
import { createMetrics } from "../src/worker/metrics.js";
import { startRefundWorkers } from "../src/worker/start-workers.js";
import { BENCH_CLIENT_ID, BENCH_SECRET } from "./refunds.js";

/** What the parent asks for. */
export interface WebhookChildRequest {
  mode: "baseline" | "pipeline";
  redisUrl: string;
  prefix: string;
  sandboxUrl: string;
}

async function startPipeline(
  req: WebhookChildRequest,
): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig(
    {
      REDIS_URL: req.redisUrl,
      QUEUE_PREFIX: req.prefix,
      GATEPAY_BASE_URL: req.sandboxUrl,
      GATEPAY_CLIENT_ID: BENCH_CLIENT_ID,
      GATEPAY_SECRET_KEY: BENCH_SECRET,
      WORKER_CONCURRENCY: "50",
      LOG_LEVEL: "info",
      HTTP_PORT: "0",
    },
    { require: ["gatepay"] },
  );
  const logger = createLogger({
    level: "info",
    destination: pino.destination({ dest: "/dev/null", sync: false }),
  });
  const metrics = createMetrics();
  const workers = await startRefundWorkers({
    config,
    logger,
    metrics,
    settings: { poll: { firstDelayMs: 600_000, maxDelayMs: 600_000, deadlineMs: 3_600_000 } },
    reconciler: { intervalMs: 0 },
  });
  await workers.waitUntilReady();
  const producer = createRefundProducer({ redisUrl: req.redisUrl, prefix: config.queuePrefix });
  const server = await startHttpServer({
    config,
    workers,
    producer,
    logger,
    metrics,
    port: 0,
    host: "127.0.0.1",
  });
  return {
    url: `${server.url}${WEBHOOK_PATH}`,
    async close() {
      await server.close();
      await workers.close();
      await producer.close();
    },
  };
}

async function startBaseline(
  req: WebhookChildRequest,
): Promise<{ url: string; close(): Promise<void> }> {
  const redis = new Redis(req.redisUrl);
  const h = (name: string) => name.toLowerCase();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string): string => String(request.headers[h(name)] ?? "");
      const ok = verifySignature(
        BENCH_SECRET,
        header(GATEPAY_HEADERS.timestamp),
        header(GATEPAY_HEADERS.nonce),
        body,
        header(GATEPAY_HEADERS.signature),
      );
      if (!ok) {
        response.writeHead(401).end();
        return;
      }
      const n = JSON.parse(body) as { bizStatus: string; data: string };
      const data = JSON.parse(n.data) as { refundInfo: { refundRequestId: string } };
      redis
        .hset(`${req.prefix}:bare:${data.refundInfo.refundRequestId}`, "status", n.bizStatus)
        .then(() => {
          response.writeHead(200, { "content-type": "application/json" }).end(WEBHOOK_ACK_BODY);
        })
        .catch(() => response.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      redis.disconnect();
    },
  };
}

process.once("message", (req: WebhookChildRequest) => {
  (req.mode === "pipeline" ? startPipeline(req) : startBaseline(req))
    .then((started) => {
      process.on("message", (m: { op?: string }) => {
        if (m.op === "close") void started.close().finally(() => process.exit(0));
      });
      process.on("disconnect", () => void started.close().finally(() => process.exit(0)));
      process.send?.({ url: started.url });
    })
    .catch((err: unknown) =>
      process.send?.({ error: err instanceof Error ? err.message : String(err) }, () =>
        process.exit(1),
      ),
    );
});
