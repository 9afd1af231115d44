/**
 * The HTTP server (DESIGN.md "HTTP server"): GatePay webhooks, the refund API, health,
 * readiness, Prometheus metrics and the queue dashboard. A thin shell over the producer,
 * the webhook receiver and the metrics registry.
 *
 * Framework: fastify 5. It gives per-scope content-type parsers (the webhook route keeps
 * its raw bytes for the signature, §7.2, while `/refunds` gets JSON), a body limit per
 * server, application-level handler timeouts, encapsulated hooks (the token check wraps the
 * dashboard and the API routes only), and bull-board ships a maintained fastify adapter
 * (`@bull-board/fastify`), so the dashboard is the real one, not a hand-made page.
 * `node:http` would mean re-building body limits, routing and timeouts by hand.
 *
 * Errors: every error body is `{ error: { code, message, issues? } }`; 5xx answers say
 * only "internal error" and the details go to the log. Secrets (the API token, webhook
 * signatures) are never logged: request lines carry the route, not headers.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { IRedisClient } from "bullmq";
import fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Config } from "../config.js";
import {
  IdempotencyConflictError,
  OverRefundError,
  ValidationError,
  type FieldIssue,
} from "../domain/errors.js";
import { REFUND_REQUEST_ID_PATTERN } from "../domain/refund-request.js";
import type { RefundRecord } from "../domain/refund-record.js";
import type { Logger } from "../logger.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import { withTimeout } from "../with-timeout.js";
import type { RefundMetrics } from "./metrics.js";
import { settingsFromConfig, type RefundWorkers } from "./start-workers.js";
import { receiveRefundWebhook, reportContextFromStore } from "./webhook-receiver.js";

/** Largest accepted request body (webhooks, `POST /refunds`), bytes. */
export const HTTP_BODY_LIMIT_BYTES = 64 * 1024;
/** Where the queue dashboard is mounted. */
export const DASHBOARD_PATH = "/admin/queues";
/** Where GatePay delivers PAY_REFUND notifications. */
export const WEBHOOK_PATH = "/webhooks/gatepay";

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
  /** Disable the dashboard's job actions (retry, clean, pause…); default false. */
  dashboardReadOnly?: boolean;
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

interface ErrorBody {
  error: { code: string; message: string; issues?: readonly FieldIssue[] };
}

function errorBody(code: string, message: string, issues?: readonly FieldIssue[]): ErrorBody {
  return { error: issues ? { code, message, issues } : { code, message } };
}

/**
 * Builds the server, registers every route and listens.
 *
 * Routes: `POST /webhooks/gatepay` (signature-checked); `POST /refunds`,
 * `GET /refunds/:id`, `GET /batches/:id` and `/admin/queues` (bearer `API_TOKEN`; 503
 * when it is unset: never open by default); `GET /healthz`, `GET /readyz`, `GET /metrics`.
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

  metrics.watchQueues([producer.queues.submit, producer.queues.poll]);

  app.addHook("onResponse", (request, reply, done) => {
    // The route pattern, never the raw URL or headers (a token could ride in either).
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? "(no route)",
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) logger.warn(line, "request failed");
    else logger.debug(line, "request");
    done();
  });
  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send(errorBody("NOT_FOUND", "no such route"));
  });

  registerHealth(app, { producer, workers, readyTimeoutMs: options.readyTimeoutMs ?? 1_000 });
  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });

  const webhookContext =
    workers?.context ??
    reportContextFromStore({
      store: producer.store,
      queues: producer.queues,
      settings: settingsFromConfig(config),
      logger: options.logger,
    });
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
          context: webhookContext,
          logger: options.logger,
          metrics,
          ...(options.webhookStoreTimeoutMs !== undefined && {
            storeTimeoutMs: options.webhookStoreTimeoutMs,
          }),
        },
        { headers: request.headers, rawBody },
      );
      return reply.code(answer.status).type("application/json").send(answer.body);
    });
    registered();
  });

  await app.register((scope, _opts, registered) => {
    // JSON only: fastify's default text/plain parser would hand a string to the producer.
    scope.removeContentTypeParser("text/plain");
    registerApi(scope, {
      producer,
      metrics,
      requireToken: tokenGuard(config.http.apiToken, false),
    });
    registered();
  });

  const board = new FastifyAdapter();
  board.setBasePath(DASHBOARD_PATH);
  const readOnlyMode = options.dashboardReadOnly ?? false;
  createBullBoard({
    queues: [
      new BullMQAdapter(producer.queues.submit, { readOnlyMode }),
      new BullMQAdapter(producer.queues.poll, { readOnlyMode }),
    ],
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
    scope.addHook("onRequest", tokenGuard(config.http.apiToken, true));
    await scope.register(board.registerPlugin(), { prefix: DASHBOARD_PATH });
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

function registerHealth(
  app: FastifyInstance,
  deps: { producer: RefundProducer; workers: RefundWorkers | undefined; readyTimeoutMs: number },
): void {
  app.get("/healthz", (_request, reply) => reply.send({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const workers = deps.workers
      ? deps.workers.isRunning()
        ? "running"
        : "stopped"
      : "not-started";
    // The API's connection, and the workers' own while they run (closed ones stay closed).
    const pings = [ping(deps.producer.queues.submit.backend.client, deps.readyTimeoutMs)];
    if (deps.workers && workers === "running") {
      pings.push(ping(deps.workers.context.queues.submit.backend.client, deps.readyTimeoutMs));
    }
    const redisOk = (await Promise.all(pings)).every(Boolean);
    const ready = redisOk && workers !== "stopped";
    return reply.code(ready ? 200 : 503).send({
      status: ready ? "ready" : "not-ready",
      checks: { redis: redisOk ? "ok" : "unreachable", workers },
    });
  });
}

/**
 * One round trip on a BullMQ connection within `timeoutMs`; false on error or timeout.
 * BullMQ 6 types its client without PING; the ioredis client beneath has it.
 */
async function ping(client: Promise<IRedisClient>, timeoutMs: number): Promise<boolean> {
  const answer = client.then(async (c) => {
    const withPing = c as IRedisClient & { ping?: () => Promise<string> };
    if (typeof withPing.ping === "function") return (await withPing.ping()) === "PONG";
    await c.get("readyz");
    return true;
  });
  return withTimeout(answer, timeoutMs, "no answer").catch(() => false);
}

const BATCH_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/; // the producer's batch id rule

function registerApi(
  app: FastifyInstance,
  deps: {
    producer: RefundProducer;
    metrics: RefundMetrics;
    requireToken: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  },
): void {
  const { producer, metrics, requireToken } = deps;

  app.post("/refunds", { onRequest: requireToken }, async (request, reply) => {
    try {
      const { record, created } = await producer.enqueue(request.body);
      if (isOverRefund(record)) return overRefund(reply, record);
      return reply.code(created ? 201 : 200).send(record);
    } catch (err) {
      if (err instanceof ValidationError) {
        return reply
          .code(400)
          .send(errorBody("VALIDATION_ERROR", "the refund request is invalid", err.issues));
      }
      if (err instanceof IdempotencyConflictError) {
        return reply.code(409).send(
          errorBody(
            "IDEMPOTENCY_CONFLICT",
            err.message,
            err.differingFields.map((path) => ({
              path,
              message: "differs from the stored request with this refundRequestId",
            })),
          ),
        );
      }
      if (err instanceof OverRefundError) {
        metrics.observeFinal(err.record);
        return overRefund(reply, err.record);
      }
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>(
    "/refunds/:id",
    { onRequest: requireToken },
    async (request, reply) => {
      const { id } = request.params;
      if (!REFUND_REQUEST_ID_PATTERN.test(id)) {
        return reply
          .code(400)
          .send(
            errorBody("VALIDATION_ERROR", "invalid refundRequestId", [
              { path: "refundRequestId", message: "must be 1–32 letters, digits, '_' or '-'" },
            ]),
          );
      }
      const record = await producer.getRefund(id);
      if (!record) return reply.code(404).send(errorBody("NOT_FOUND", `no refund "${id}"`));
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
          .code(400)
          .send(
            errorBody("VALIDATION_ERROR", "invalid batchId", [
              { path: "batchId", message: "must be 1–64 letters, digits, '.', '_' or '-'" },
            ]),
          );
      }
      const counts = await producer.getBatch(id);
      if (!counts.total) return reply.code(404).send(errorBody("NOT_FOUND", `no batch "${id}"`));
      return reply.send({ batchId: id, counts });
    },
  );
}

/** An over-refund is stored as `rejected` / `OVER_REFUND`; a repeat of it answers alike. */
function isOverRefund(record: RefundRecord): boolean {
  return record.state === "rejected" && record.lastError?.code === "OVER_REFUND";
}

function overRefund(reply: FastifyReply, record: RefundRecord) {
  return reply.code(422).send({
    ...errorBody(
      "OVER_REFUND",
      record.lastError?.message ?? "the refund would exceed the order amount",
    ),
    record,
  });
}

/**
 * The `onRequest` guard of protected routes. `Authorization: Bearer <API_TOKEN>`; the
 * dashboard (`browser`) also takes HTTP Basic with the token as password, which browsers
 * remember and send with the page's own API calls. Compared in constant time over SHA-256
 * digests, so neither content nor length leaks through timing. Unset token: 503.
 */
function tokenGuard(token: { reveal(): string } | undefined, browser: boolean) {
  const expected = token ? digest(token.reveal()) : undefined;
  const challenges = browser
    ? ['Basic realm="gatepay-refunds", charset="UTF-8"', 'Bearer realm="gatepay-refunds"']
    : ['Bearer realm="gatepay-refunds"'];
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected) {
      await reply
        .code(503)
        .send(
          errorBody(
            "API_TOKEN_NOT_CONFIGURED",
            "API_TOKEN is not configured; protected routes are disabled",
          ),
        );
      return;
    }
    const presented = presentedToken(request.headers.authorization, browser);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return;
    await reply
      .code(401)
      .header("WWW-Authenticate", challenges)
      .send(
        errorBody(
          "UNAUTHORIZED",
          presented === undefined
            ? "missing bearer token (Authorization: Bearer <API_TOKEN>)"
            : "invalid token",
        ),
      );
  };
}

function presentedToken(header: string | undefined, allowBasic: boolean): string | undefined {
  if (!header) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === "bearer") return value;
  if (scheme === "basic" && allowBasic) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

const CLIENT_ERROR_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BAD_REQUEST",
  FST_ERR_HANDLER_TIMEOUT: "TIMEOUT",
};

function errorHandler(logger: Logger) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
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
