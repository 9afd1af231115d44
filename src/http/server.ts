/**
 * The HTTP server (DESIGN.md "HTTP server"): GatePay webhooks, the refund API, health,
 * readiness, Prometheus metrics and the queue dashboard. A thin shell over the producer,
 * the webhook receiver and the metrics registry. This module assembles it (fastify, limits,
 * logging, errors); each group of routes is a module of its own beside it.
 *
 * Framework: fastify 5. It gives per-scope content-type parsers (the webhook route keeps
 * its raw bytes for the signature, §7.2, while `/refunds` gets JSON), a body limit per
 * server, application-level handler timeouts, encapsulated hooks (the token check wraps the
 * dashboard and the API routes only), and bull-board ships a maintained fastify adapter
 * (`@bull-board/fastify`), so the dashboard is the real one, not a hand-made page.
 * `node:http` would mean re-building body limits, routing and timeouts by hand.
 *
 * Errors: every error body is `{ error: { code, message, issues? } }` (./error-body.ts);
 * a typed error gets the status of its code (src/domain/error-codes.ts); 5xx answers say
 * only "internal error" and the details go to the log. Secrets (the API token, webhook
 * signatures) are never logged: request lines carry the route, not headers.
 */
import fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Config } from "../config.js";
import { ERROR_CODES } from "../domain/error-codes.js";
import { CodedError } from "../domain/errors.js";
import type { Logger } from "../logger.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import type { RefundMetrics } from "../worker/metrics.js";
import type { RefundWorkers } from "../worker/start-workers.js";
import { registerConsole } from "./console/console-routes.js";
import { registerAttentionRoutes } from "./attention-routes.js";
import { registerDashboard } from "./dashboard.js";
import { dashboardGuard } from "./dashboard-guard.js";
import { codedErrorBody, errorBody, type HttpErrorCode } from "./error-body.js";
import { registerHealthRoutes, workersDurability } from "./health-routes.js";
import { registerMetricsRoute } from "./metrics-route.js";
import { registerRefundRoutes } from "./refund-routes.js";
import { tokenGuard } from "./token-guard.js";
import { registerWebhookRoute } from "./webhook-route.js";

export { CONSOLE_PATH } from "./console/console-routes.js";
export { DASHBOARD_PATH } from "./dashboard.js";
export { WEBHOOK_PATH } from "./webhook-route.js";

/** Largest accepted request body (webhooks, `POST /refunds`), bytes. */
export const HTTP_BODY_LIMIT_BYTES = 64 * 1024;

/** Options of {@link startHttpServer}. */
export interface StartHttpServerOptions {
  config: Config;
  /**
   * The workers of this process. Readiness requires them running; webhooks are applied
   * with their context. Without them webhooks are applied through the producer's store.
   */
  workers?: RefundWorkers;
  /** Enqueues and reads refunds for the API; its queues feed the dashboard and metrics. */
  producer: RefundProducer;
  logger: Logger;
  metrics: RefundMetrics;
  /** Port to listen on; default `config.http.port` (0 = any free port). */
  port?: number;
  /** Address to bind; default `"0.0.0.0"` (all interfaces). */
  host?: string;
  /** Longest a webhook's store may take before it is answered 500, ms; default 10,000. */
  webhookStoreTimeoutMs?: number;
  /** Longest a request may take from routing to reply before a 503, ms; default 15,000. */
  handlerTimeoutMs?: number;
  /** Longest `/readyz` waits for Redis to answer PING, ms; default 1,000. */
  readyTimeoutMs?: number;
  /**
   * Disable the dashboard's job actions (retry, clean, pause…); default: read-only unless
   * `ADMIN_TOKEN` is set (writes always need it: ./dashboard-guard.ts).
   */
  dashboardReadOnly?: boolean;
  /** The durability mode in force, shown by the console; "not reported" without it. */
  durability?: () => { mode: string; [key: string]: unknown };
}

/** A listening server. */
export interface HttpServer {
  /** e.g. `http://127.0.0.1:8080` (loopback when bound to all interfaces). */
  readonly url: string;
  readonly port: number;
  /** The fastify instance (for `inject` in tests and extra routes). */
  readonly app: FastifyInstance;
  /** Stops accepting, lets in-flight requests finish, closes idle connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the server, registers every route and listens.
 *
 * Routes: `POST /webhooks/gatepay` (signature-checked); `POST /refunds`,
 * `GET /refunds/:id`, `GET /batches/:id` (bearer `API_TOKEN`; 503 when it is unset: never
 * open by default); `/admin/queues` (reads with `API_TOKEN` or `ADMIN_TOKEN`, writes with
 * bearer `ADMIN_TOKEN` only); `GET /healthz`, `GET /readyz`; `GET /metrics` (bearer
 * `METRICS_TOKEN` when set).
 * Bodies over 64 KB get 413; a handler that takes longer than `handlerTimeoutMs` gets 503.
 */
export async function startHttpServer(options: StartHttpServerOptions): Promise<HttpServer> {
  const { config, producer, workers, metrics } = options;
  const logger = options.logger.child({ component: "http" });
  const app = fastify({
    // The cast widens the instance's logger type to fastify's default, so helpers can take
    // a plain FastifyInstance; pino's Logger is what fastify expects at run time.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: HTTP_BODY_LIMIT_BYTES,
    handlerTimeout: options.handlerTimeoutMs ?? 15_000,
    // Socket-level limits: a whole request within 30 s, idle keep-alive sockets for 5 s.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    forceCloseConnections: "idle",
    return503OnClosing: true,
  });

  metrics.watchQueues(producer.shardQueues.flatMap((q) => [q.submit, q.poll]));

  app.addHook("onResponse", (request, reply, done) => {
    // The route pattern, never the raw URL or headers (a token could ride in either); in
    // the metric it also keeps the label's values few (ids stay out).
    const route = request.routeOptions.url ?? "(no route)";
    const line = {
      method: request.method,
      route,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    };
    metrics.observeHttpRequest({
      method: request.method,
      route,
      statusCode: reply.statusCode,
      durationSeconds: reply.elapsedTime / 1000,
    });
    if (reply.statusCode >= 500) logger.warn(line, "request failed");
    else logger.debug(line, "request");
    done();
  });
  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send(errorBody("NOT_FOUND", "no such route"));
  });

  registerHealthRoutes(app, {
    producer,
    workers,
    readyTimeoutMs: options.readyTimeoutMs ?? 1_000,
  });
  registerMetricsRoute(
    app,
    metrics,
    config.http.metricsToken && tokenGuard(config.http.metricsToken, false, "METRICS_TOKEN"),
  );

  await registerWebhookRoute(app, {
    config,
    producer,
    workers,
    logger: options.logger,
    metrics,
    storeTimeoutMs: options.webhookStoreTimeoutMs,
  });

  await app.register((scope, _opts, registered) => {
    // JSON only: fastify's default text/plain parser would hand a string to the producer.
    scope.removeContentTypeParser("text/plain");
    registerRefundRoutes(scope, {
      producer,
      metrics,
      requireToken: tokenGuard(config.http.apiToken, false),
    });
    registerAttentionRoutes(scope, {
      shards: producer.shards,
      requireToken: tokenGuard(config.http.apiToken, false),
    });
    registered();
  });

  await registerDashboard(app, {
    producer,
    logger,
    requireToken: dashboardGuard(config.http.apiToken, config.http.adminToken),
    readOnly: options.dashboardReadOnly ?? config.http.adminToken === undefined,
  });

  await registerConsole(app, {
    producer,
    metrics,
    apiToken: config.http.apiToken,
    adminToken: config.http.adminToken,
    // The workers' durability monitor when this process runs them (README "Durability").
    durability:
      options.durability ?? (workers ? () => ({ mode: workersDurability(workers) }) : undefined),
  });

  const host = options.host ?? "0.0.0.0";
  await app.listen({ port: options.port ?? config.http.port, host });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
  logger.info({ url }, "HTTP server listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    app,
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}

/** Fastify's own client-error codes → the API's. */
const CLIENT_ERROR_CODES: Record<string, HttpErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BAD_REQUEST",
  FST_ERR_HANDLER_TIMEOUT: "TIMEOUT",
};

function errorHandler(logger: Logger) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // A typed error (invalid request, id reused, over-refund…) answers with its code's
    // status; one whose status is 5xx (bad config) falls through to "internal error".
    if (err instanceof CodedError && ERROR_CODES[err.code].httpStatus < 500) {
      return reply.code(ERROR_CODES[err.code].httpStatus).send(codedErrorBody(err));
    }
    // A durability barrier that did not hold: nothing was acknowledged; the same
    // idempotent request may be retried at once.
    if (err instanceof CodedError && err.code === "DURABILITY_TIMEOUT") {
      return reply
        .code(ERROR_CODES.DURABILITY_TIMEOUT.httpStatus)
        .header("retry-after", "1")
        .send(codedErrorBody(err));
    }
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    const code =
      CLIENT_ERROR_CODES[err.code] ?? (err instanceof SyntaxError ? "INVALID_JSON" : undefined);
    if (status >= 500 && code !== "TIMEOUT") {
      logger.error(
        { err, method: request.method, route: request.routeOptions.url },
        "request failed",
      );
      return reply.code(500).send(errorBody("INTERNAL", "internal error"));
    }
    // Fastify's own 4xx messages describe the request (size, media type, JSON syntax).
    return reply
      .code(status)
      .send(errorBody(code ?? (status === 503 ? "UNAVAILABLE" : "BAD_REQUEST"), err.message));
  };
}
