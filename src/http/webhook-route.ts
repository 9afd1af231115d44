/**
 * `POST /webhooks/gatepay`: GatePay's PAY_REFUND notifications, handed as raw bytes to the
 * webhook receiver (src/worker/webhook-receiver.ts), which verifies, applies and picks the
 * answer. This module only keeps the body's bytes intact and sends that answer.
 */
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import type { RefundMetrics } from "../worker/metrics.js";
import { settingsFromConfig, type RefundWorkers } from "../worker/start-workers.js";
import { receiveRefundWebhook, reportContextFromStore } from "../worker/webhook-receiver.js";

/** Where GatePay delivers PAY_REFUND notifications. */
export const WEBHOOK_PATH = "/webhooks/gatepay";

/** What the webhook route needs. */
export interface WebhookRouteDeps {
  config: Config;
  /** Applies the reports through its store when this process runs no workers. */
  producer: RefundProducer;
  /** The workers of this process: reports are applied with their context. */
  workers: RefundWorkers | undefined;
  logger: Logger;
  metrics: RefundMetrics;
  /** Longest a webhook's store may take before it is answered 500, ms; receiver's default. */
  storeTimeoutMs: number | undefined;
}

/** Registers {@link WEBHOOK_PATH} in a scope of its own (its own body parser). */
export async function registerWebhookRoute(
  app: FastifyInstance,
  deps: WebhookRouteDeps,
): Promise<void> {
  const { config, producer, workers, logger, metrics, storeTimeoutMs } = deps;
  const context =
    workers?.context ??
    reportContextFromStore({
      store: producer.store,
      queues: producer.queues,
      settings: settingsFromConfig(config),
      logger,
      observeAttention: (code) => metrics.observeAttention(code),
    });
  // Several shards: each refund's report is applied in its own shard (README "Scaling out").
  const contextOf =
    producer.shards.count === 1
      ? undefined
      : (workers?.contextOf ??
        (async (refundRequestId: string) => {
          const parts = await producer.partsOf(refundRequestId);
          return parts
            ? reportContextFromStore({ ...parts, settings: settingsFromConfig(config), logger })
            : null;
        }));
  await app.register((scope, _opts, registered) => {
    // The signature covers the exact bytes GatePay sent (§7.2): no JSON parser may touch
    // them first, so this scope has a single parser that keeps the raw buffer.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => {
      done(null, body);
    });
    scope.post(WEBHOOK_PATH, async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await receiveRefundWebhook(
        {
          secret: config.gatepay.secretKey,
          context,
          contextOf,
          logger,
          metrics,
          ...(storeTimeoutMs !== undefined && { storeTimeoutMs }),
        },
        { headers: request.headers, rawBody },
      );
      return reply.code(answer.status).type("application/json").send(answer.body);
    });
    registered();
  });
}
