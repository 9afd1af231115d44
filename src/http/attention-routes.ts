/**
 * Operator views (bearer `API_TOKEN`):
 * - `GET /attention`: refunds whose terminal record GatePay contradicts (a success after
 *   a refusal…, domain/attention.ts), newest first; money may have moved while the record
 *   says it did not, so each needs a human. `?limit=` 1–1000, default 100. Every shard's
 *   index, merged (QUEUE_SHARDS > 1).
 * - `GET /notifications/unmatched`: GatePay notifications for refunds this deployment
 *   does not know (refunds made outside the worker), newest first; same `?limit=`.
 */
import type { FastifyInstance } from "fastify";
import { ERROR_CODES } from "../domain/error-codes.js";
import type { RefundShards } from "../store/refund-shards.js";
import { errorBody } from "./error-body.js";
import type { RequestGuard } from "./token-guard.js";

export interface AttentionRoutesDeps {
  /** Every shard's store: the attention index is per shard, notifications under the base. */
  shards: RefundShards;
  requireToken: RequestGuard;
}

/** `?limit=` as an integer 1–1000 (default 100), or an error message naming the reason. */
export function parseListLimit(raw: unknown): number | string {
  if (raw === undefined) return 100;
  if (typeof raw !== "string" || !/^\d{1,4}$/.test(raw)) return "must be an integer 1–1000";
  const n = Number(raw);
  return n >= 1 && n <= 1000 ? n : "must be an integer 1–1000";
}

/**
 * Registers `GET path` behind the token: a valid `?limit=` is passed to `list`, whose
 * items are answered as `{ count, [key]: items }`; a bad one is a VALIDATION_ERROR.
 */
function registerLimitedList(
  app: FastifyInstance,
  requireToken: RequestGuard,
  path: string,
  key: string,
  list: (limit: number) => Promise<readonly unknown[]>,
): void {
  app.get<{ Querystring: { limit?: string } }>(
    path,
    { onRequest: requireToken },
    async (request, reply) => {
      const limit = parseListLimit(request.query.limit);
      if (typeof limit === "string") {
        return reply
          .code(ERROR_CODES.VALIDATION_ERROR.httpStatus)
          .send(
            errorBody("VALIDATION_ERROR", `invalid limit: ${limit}`, [
              { path: "limit", message: limit },
            ]),
          );
      }
      const items = await list(limit);
      return reply.send({ count: items.length, [key]: items });
    },
  );
}

export function registerAttentionRoutes(app: FastifyInstance, deps: AttentionRoutesDeps): void {
  const { shards, requireToken } = deps;
  registerLimitedList(app, requireToken, "/attention", "refunds", (limit) =>
    shards.listAttention({ limit }),
  );
  registerLimitedList(app, requireToken, "/notifications/unmatched", "notifications", (limit) =>
    shards.base.notifications.listUnmatched({ limit }),
  );
}
