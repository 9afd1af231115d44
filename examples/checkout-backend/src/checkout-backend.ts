/**
 * A small checkout backend that refunds orders through gatepay-refund-worker:
 *
 * - `POST /orders/:orderId/refunds` `{ refundRequestId, prepayId, amount, reason? }` notes
 *   the refund on the order, then enqueues it with the library's producer (validation,
 *   idempotency on `refundRequestId`, the over-refund guard) and answers 202;
 * - `GET /orders/:orderId` shows the order's refund status, which the events follower
 *   moves along as the refund service reports each transition.
 *
 * The refund workers run elsewhere (`gatepay-refunds worker`); this process never talks to
 * GatePay. It imports only the producer entry: no HTTP server, dashboard or metrics of
 * the refund service are loaded here.
 */
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import {
  createRefundProducer,
  IdempotencyConflictError,
  OverRefundError,
  parseRefundRequest,
  refundKeys,
  ValidationError,
} from "gatepay-refund-worker/producer";
import { followEvents, type EventFollower } from "./follow-events.js";
import { OrderRefunds } from "./order-refunds.js";

export interface CheckoutBackendOptions {
  redisUrl: string;
  /** The refund service's QUEUE_PREFIX (`gatepay` → `{gatepay}`, the library's one rule). */
  queuePrefix: string;
  port?: number;
  host?: string;
  /** The consumer group on the events stream; one per backend (not per instance). */
  group?: string;
  /** Key prefix of this backend's own order state. */
  keyPrefix?: string;
}

export interface CheckoutBackend {
  url: string;
  close(): Promise<void>;
}

interface RefundBody {
  refundRequestId: string;
  prepayId: string;
  amount: string;
  reason?: string;
}

export async function startCheckoutBackend(opts: CheckoutBackendOptions): Promise<CheckoutBackend> {
  const redis = new Redis(opts.redisUrl);
  const blocking = new Redis(opts.redisUrl); // XREADGROUP BLOCK holds its connection
  const producer = createRefundProducer({ redis, prefix: opts.queuePrefix });
  const orders = new OrderRefunds(redis, opts.keyPrefix);

  const follower: EventFollower = await followEvents({
    redis: blocking,
    stream: refundKeys(opts.queuePrefix).events,
    group: opts.group ?? "checkout-backend",
    consumer: `checkout-${randomUUID()}`,
    async apply(event) {
      const id = event["refundRequestId"];
      if (id === undefined || event["state"] === undefined) return;
      await orders.apply(id, event["state"], Number(event["version"] ?? "0"));
    },
  });

  const app: FastifyInstance = Fastify({ logger: false });

  app.post<{ Params: { orderId: string }; Body: RefundBody }>(
    "/orders/:orderId/refunds",
    async (req, reply) => {
      const { orderId } = req.params;
      const body = req.body;
      if (typeof body?.refundRequestId !== "string") {
        return reply.code(400).send({ error: "refundRequestId: required (your idempotency key)" });
      }
      const request = {
        refundRequestId: body.refundRequestId,
        prepayId: body.prepayId,
        refundAmount: body.amount,
        ...(body.reason === undefined ? {} : { refundReason: body.reason }),
      };
      try {
        // Validate first (nothing noted for a bad request), note the refund on the order,
        // then enqueue: an event can then never arrive for a refund the order does not know.
        parseRefundRequest(request);
        await orders.requested(orderId, body.refundRequestId);
        const { record, created } = await producer.enqueue(request);
        return reply.code(created ? 202 : 200).send({ orderId, refund: record.state });
      } catch (err) {
        if (err instanceof ValidationError) return reply.code(400).send({ error: err.message });
        if (err instanceof IdempotencyConflictError) {
          return reply.code(409).send({ error: err.message });
        }
        if (err instanceof OverRefundError) return reply.code(422).send({ error: err.message });
        throw err;
      }
    },
  );

  app.get<{ Params: { orderId: string } }>("/orders/:orderId", async (req, reply) => {
    const order = await orders.get(req.params.orderId);
    return order ? reply.send({ orderId: req.params.orderId, ...order }) : reply.code(404).send();
  });

  const url = await app.listen({ port: opts.port ?? 3000, host: opts.host ?? "127.0.0.1" });
  return {
    url,
    async close() {
      await app.close();
      await follower.stop();
      await producer.close();
      await Promise.all([redis.quit(), blocking.quit()]);
    },
  };
}
