/**
 * The refund API: `POST /refunds` (enqueue one, with the library's validation and
 * idempotency), `GET /refunds/:id` (its record) and `GET /batches/:id` (a batch's counts
 * by state). Typed errors thrown here are answered by the server's error handler through
 * their code (400 invalid, 409 id reused, 422 over-refund).
 */
import type { FastifyInstance } from "fastify";
import { BATCH_ID_PATTERN } from "../domain/batch-id.js";
import { ERROR_CODES } from "../domain/error-codes.js";
import { OverRefundError } from "../domain/errors.js";
import type { RefundRecord } from "../domain/refund-record.js";
import { REFUND_REQUEST_ID_PATTERN } from "../domain/refund-request.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import type { RefundMetrics } from "../worker/metrics.js";
import { errorBody } from "./error-body.js";
import { withIncomingTrace } from "./incoming-trace.js";
import type { RequestGuard } from "./token-guard.js";

/** What the refund routes need. */
export interface RefundRoutesDeps {
  producer: RefundProducer;
  metrics: RefundMetrics;
  /** Runs before each route: the API token check. */
  requireToken: RequestGuard;
}

/** Registers the refund and batch routes on `app` (a scope that parses JSON bodies). */
export function registerRefundRoutes(app: FastifyInstance, deps: RefundRoutesDeps): void {
  const { producer, metrics, requireToken } = deps;

  app.post("/refunds", { onRequest: requireToken }, async (request, reply) => {
    const enqueue = () => producer.enqueue(request.body);
    const { record, created } = await withIncomingTrace(
      request.headers,
      "POST /refunds",
      enqueue,
    ).catch((err: unknown) => {
      // Counted when the refusal is stored; a repeat of it (below) is no new final state.
      if (err instanceof OverRefundError) metrics.observeFinal(err.record);
      throw err;
    });
    // A repeat of a stored over-refund answers like the first one: 422 with the record.
    if (isOverRefund(record)) throw new OverRefundError(record);
    return reply.code(created ? 201 : 200).send(record);
  });

  app.get<{ Params: { id: string } }>(
    "/refunds/:id",
    { onRequest: requireToken },
    async (request, reply) => {
      const { id } = request.params;
      if (!REFUND_REQUEST_ID_PATTERN.test(id)) {
        return reply
          .code(ERROR_CODES.VALIDATION_ERROR.httpStatus)
          .send(
            errorBody("VALIDATION_ERROR", "invalid refundRequestId", [
              { path: "refundRequestId", message: "must be 1–32 letters, digits, '_' or '-'" },
            ]),
          );
      }
      const record = await producer.getRefund(id);
      if (!record) {
        return reply
          .code(ERROR_CODES.NOT_FOUND.httpStatus)
          .send(errorBody("NOT_FOUND", `no refund "${id}"`));
      }
      return reply.send(record);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/batches/:id",
    { onRequest: requireToken },
    async (request, reply) => {
      const { id } = request.params;
      if (!BATCH_ID_PATTERN.test(id)) {
        return reply
          .code(ERROR_CODES.VALIDATION_ERROR.httpStatus)
          .send(
            errorBody("VALIDATION_ERROR", "invalid batchId", [
              { path: "batchId", message: "must be 1–64 letters, digits, '.', '_' or '-'" },
            ]),
          );
      }
      const counts = await producer.getBatch(id);
      if (!counts.total) {
        return reply
          .code(ERROR_CODES.NOT_FOUND.httpStatus)
          .send(errorBody("NOT_FOUND", `no batch "${id}"`));
      }
      return reply.send({ batchId: id, counts });
    },
  );
}

/** An over-refund is stored as `rejected` / `OVER_REFUND`; a repeat of it answers alike. */
function isOverRefund(record: RefundRecord): boolean {
  return record.state === "rejected" && record.lastError?.code === "OVER_REFUND";
}
