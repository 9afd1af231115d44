/**
 * The queue dashboard: bull-board's own UI and API over both refund queues, mounted at
 * {@link DASHBOARD_PATH}: reads with `API_TOKEN` or `ADMIN_TOKEN`, writes with bearer
 * `ADMIN_TOKEN` only (./dashboard-guard.ts); read-only while `ADMIN_TOKEN` is unset.
 */
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { FastifyInstance } from "fastify";
import type { Logger } from "../logger.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import type { RequestGuard } from "./token-guard.js";

/** Where the queue dashboard is mounted. */
export const DASHBOARD_PATH = "/admin/queues";

/** What the dashboard needs. */
export interface DashboardDeps {
  /** Its queues are the ones shown. */
  producer: RefundProducer;
  logger: Logger;
  /** Runs before every dashboard request: the token check (./dashboard-guard.ts). */
  requireToken: RequestGuard;
  /** Disable the job actions (retry, clean, pause…). */
  readOnly: boolean;
}

/** Registers the dashboard under {@link DASHBOARD_PATH} in a scope of its own. */
export async function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const { producer, logger, requireToken, readOnly: readOnlyMode } = deps;
  const board = new FastifyAdapter();
  board.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    // One pair per shard; with several, each shown as `s<shard>:<queue>`.
    queues: producer.shardQueues.flatMap((q, shard) => {
      const prefix = producer.shardQueues.length === 1 ? "" : `s${shard}:`;
      return [
        new BullMQAdapter(q.submit, { readOnlyMode, prefix }),
        new BullMQAdapter(q.poll, { readOnlyMode, prefix }),
      ];
    }),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: "GatePay refunds" } },
  });
  // bull-board's own handler echoes error messages (and stacks in development).
  board.setErrorHandler((err: Error & { statusCode?: number }) => {
    const status = err.statusCode;
    if (status === 400 || status === 404 || status === 405 || status === 409) {
      return {
        status,
        body: { error: { key: "ERRORS.INTERNAL_SERVER_ERROR" }, message: err.message },
      };
    }
    logger.error({ err }, "dashboard request failed");
    return { status: 500, body: { error: { key: "ERRORS.INTERNAL_SERVER_ERROR" } } };
  });
  await app.register(async (scope) => {
    scope.addHook("onRequest", requireToken);
    await scope.register(board.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
