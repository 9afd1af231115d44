/**
 * The refund API, health, readiness, metrics and the dashboard over real HTTP (fastify on
 * 127.0.0.1:0, the real Redis): the token on every protected route, each error status,
 * body limits, and error bodies without internals.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { createLogger } from "../../src/logger.js";
import { DASHBOARD_PATH, startHttpServer, type HttpServer } from "../../src/http/server.js";
import { createMetrics, METRIC_NAMES } from "../../src/worker/metrics.js";
import { startPipeline, type Pipeline } from "../helpers/pipeline.js";
import { sampleValue } from "../helpers/prometheus.js";

const TOKEN = "api-token-5a0c7e19b3d24f68";

async function startApi(
  name: string,
  opts: { token?: boolean; workers?: boolean; env?: Record<string, string> } = {},
): Promise<{ p: Pipeline; server: HttpServer }> {
  const p = await startPipeline({
    name,
    workers: opts.workers ?? false,
    env: { ...(opts.token === false ? {} : { API_TOKEN: TOKEN }), ...opts.env },
  });
  const server = await startHttpServer({
    config: p.config,
    producer: p.producer,
    logger: createLogger({ level: "silent" }),
    metrics: createMetrics({ defaultMetrics: false, queuePrefix: p.config.queuePrefix }),
    port: 0,
    host: "127.0.0.1",
    ...(p.workers && { workers: p.workers }),
  });
  onTestFinished(() => server.close());
  return { p, server };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function call(
  server: HttpServer,
  method: string,
  path: string,
  opts: { auth?: string | null; body?: string; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const auth = opts.auth === undefined ? `Bearer ${TOKEN}` : opts.auth;
  if (auth !== null) headers["authorization"] = auth;
  if (opts.body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined && { body: opts.body }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // No answer ever carries a stack trace or a Redis error text.
  expect(text).not.toMatch(/\n\s+at |WRONGTYPE|node_modules/);
  return { status: res.status, headers: res.headers, text, json };
}

const refund = (id: string, extra: Record<string, string> = {}) =>
  JSON.stringify({ refundRequestId: id, prepayId: "7001", refundAmount: "5", ...extra });

/** Every protected route, with a body where it needs one. */
const PROTECTED: { method: string; path: string; body?: string }[] = [
  { method: "POST", path: "/refunds", body: refund("AUTH1") },
  { method: "GET", path: "/refunds/AUTH1" },
  { method: "GET", path: "/batches/B1" },
  { method: "GET", path: "/attention" },
  { method: "GET", path: "/notifications/unmatched" },
  { method: "GET", path: DASHBOARD_PATH },
  { method: "GET", path: `${DASHBOARD_PATH}/queue/refund-submit` },
  { method: "GET", path: `${DASHBOARD_PATH}/api/queues` },
  { method: "GET", path: `${DASHBOARD_PATH}/static/favicon-32x32.png` },
];

describe("HTTP API", () => {
  it("guards every protected route with the bearer token (missing, wrong, other scheme, right)", async () => {
    const { server } = await startApi("http-auth");
    for (const route of PROTECTED) {
      const opts = route.body === undefined ? {} : { body: route.body };
      const missing = await call(server, route.method, route.path, { ...opts, auth: null });
      expect(missing.status, `${route.path} without a token`).toBe(401);
      expect(missing.json).toMatchObject({ error: { code: "UNAUTHORIZED" } });
      expect(missing.headers.get("www-authenticate")).toContain("Bearer");

      for (const auth of [
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        "Bearer",
        `Token ${TOKEN}`,
      ]) {
        const wrong = await call(server, route.method, route.path, { ...opts, auth });
        expect(wrong.status, `${route.path} with "${auth.slice(0, 12)}…"`).toBe(401);
      }

      const right = await call(server, route.method, route.path, opts);
      expect([200, 201, 404], `${route.path} with the token`).toContain(right.status);
    }

    // Basic (the token as password) is for browsers on the dashboard only.
    const basic = `Basic ${Buffer.from(`admin:${TOKEN}`).toString("base64")}`;
    expect((await call(server, "GET", "/refunds/AUTH1", { auth: basic })).status).toBe(401);
    const board = await call(server, "GET", DASHBOARD_PATH, { auth: basic });
    expect(board.status).toBe(200);
    const badBasic = `Basic ${Buffer.from("admin:nope").toString("base64")}`;
    const refused = await call(server, "GET", DASHBOARD_PATH, { auth: badBasic });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/Basic realm=/);
  });

  it("answers 503 on every protected route when API_TOKEN is unset (never open by default)", async () => {
    const { server } = await startApi("http-no-token", { token: false });
    for (const route of PROTECTED) {
      for (const auth of [null, `Bearer ${TOKEN}`, "Bearer "]) {
        const a = await call(server, route.method, route.path, {
          auth,
          ...(route.body !== undefined && { body: route.body }),
        });
        expect(a.status, route.path).toBe(503);
        expect(a.json).toMatchObject({ error: { code: "API_TOKEN_NOT_CONFIGURED" } });
        expect((a.json as { error: { message: string } }).error.message).toContain("API_TOKEN");
      }
    }
    // Open routes stay open.
    expect((await call(server, "GET", "/healthz", { auth: null })).status).toBe(200);
    expect((await call(server, "GET", "/metrics", { auth: null })).status).toBe(200);
  });

  it("enqueues, reads and refuses refunds with the documented statuses", async () => {
    const { p, server } = await startApi("http-refunds");

    const created = await call(server, "POST", "/refunds", { body: refund("A1") });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ refundRequestId: "A1", state: "queued" });
    const again = await call(server, "POST", "/refunds", { body: refund("A1") });
    expect(again.status).toBe(200);
    expect((again.json as RefundRecord).version).toBe((created.json as RefundRecord).version);

    const read = await call(server, "GET", "/refunds/A1");
    expect(read.status).toBe(200);
    expect(read.json).toEqual(await p.producer.getRefund("A1"));

    // 400: validation, with field paths.
    const invalid = await call(server, "POST", "/refunds", {
      body: JSON.stringify({ refundRequestId: "bad id!", prepayId: "7001", refundAmount: "1.5e3" }),
    });
    expect(invalid.status).toBe(400);
    const issues = (invalid.json as { error: { code: string; issues: { path: string }[] } }).error;
    expect(issues.code).toBe("VALIDATION_ERROR");
    expect(issues.issues.map((i) => i.path).sort()).toEqual(["refundAmount", "refundRequestId"]);
    expect(invalid.json).toMatchObject({ error: { message: "the refund request is invalid" } });
    expect(await p.producer.getRefund("bad id!")).toBeNull();

    const notJson = await call(server, "POST", "/refunds", { body: "{ nope" });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ error: { code: "INVALID_JSON" } });
    const text = await call(server, "POST", "/refunds", {
      body: refund("T1"),
      contentType: "text/plain",
    });
    expect(text.status).toBe(415);
    expect(text.json).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    const huge = await call(server, "POST", "/refunds", {
      body: refund("H1", { refundReason: "x".repeat(70_000) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await p.producer.getRefund("H1")).toBeNull();

    // 409: the same id for another refund; the stored one is unchanged.
    const conflict = await call(server, "POST", "/refunds", {
      body: refund("A1", { refundAmount: "6" }),
    });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toEqual({
      error: {
        code: "IDEMPOTENCY_CONFLICT",
        message: expect.stringContaining('refundRequestId "A1" is already used') as unknown,
        issues: [
          {
            path: "refundAmount",
            message: "differs from the stored request with this refundRequestId",
          },
        ],
      },
    });
    expect((await p.producer.getRefund("A1"))?.request).toMatchObject({ refundAmount: "5" });

    // 422: over-refund, recorded as rejected; the same request again answers the same.
    const over = await call(server, "POST", "/refunds", {
      body: JSON.stringify({
        refundRequestId: "O1",
        prepayId: "7002",
        refundAmount: "20",
        orderAmount: "10",
      }),
    });
    expect(over.status).toBe(422);
    expect(over.json).toMatchObject({
      error: { code: "OVER_REFUND" },
      record: { refundRequestId: "O1", state: "rejected", lastError: { code: "OVER_REFUND" } },
    });
    const overAgain = await call(server, "POST", "/refunds", {
      body: JSON.stringify({
        refundRequestId: "O1",
        prepayId: "7002",
        refundAmount: "20",
        orderAmount: "10",
      }),
    });
    expect(overAgain.status).toBe(422);
    expect(overAgain.json).toEqual(over.json);
    const overBody = over.json as { error: { message: string }; record: RefundRecord };
    expect(Object.keys(overBody)).toEqual(["error", "record"]);
    expect(overBody.error.message).toBe(overBody.record.lastError?.message);

    // 404 / 400 on reads.
    expect((await call(server, "GET", "/refunds/NOPE")).status).toBe(404);
    expect((await call(server, "GET", "/refunds/a.b")).status).toBe(400);
    expect((await call(server, "GET", "/nowhere")).status).toBe(404);
  });

  it("reports a batch's counts, 404 for an unknown batch", async () => {
    const { p, server } = await startApi("http-batches");
    await p.producer.enqueueBulk(
      [
        { refundRequestId: "B1-1", prepayId: "8001", refundAmount: "1" },
        { refundRequestId: "B1-2", prepayId: "8001", refundAmount: "2" },
      ],
      { batchId: "B1" },
    );
    const batch = await call(server, "GET", "/batches/B1");
    expect(batch.status).toBe(200);
    expect(batch.json).toEqual({ batchId: "B1", counts: await p.producer.getBatch("B1") });
    expect(batch.json).toMatchObject({ counts: { total: 2, queued: 2 } });
    expect((await call(server, "GET", "/batches/NOPE")).status).toBe(404);
    expect((await call(server, "GET", "/batches/a:b")).status).toBe(400);
  });

  it("answers 500 without internals when Redis fails", async () => {
    const { p, server } = await startApi("http-500");
    // The record key holds a string: every read fails with WRONGTYPE inside Redis.
    await p.redis.set(p.producer.store.keys.record("BROKEN"), "not a hash");
    const a = await call(server, "GET", "/refunds/BROKEN");
    expect(a.status).toBe(500);
    expect(a.json).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
  });

  it("serves liveness, readiness that fails once the workers stop, and metrics", async () => {
    const { p, server } = await startApi("http-health", { workers: true });
    expect((await call(server, "GET", "/healthz", { auth: null })).json).toEqual({ status: "ok" });
    const ready = await call(server, "GET", "/readyz", { auth: null });
    expect(ready.status).toBe(200);
    // The shared test Redis has no replica and no AOF: auto resolves to none.
    expect(ready.json).toEqual({
      status: "ready",
      checks: { redis: "ok", workers: "running", durability: "none" },
    });

    p.sandbox.seedOrders({ prepayId: "9001", amount: "10", currency: "USDT", kind: "order" });
    await p.producer.enqueue({ refundRequestId: "M1", prepayId: "9001", refundAmount: "1" });
    const metrics = await call(server, "GET", "/metrics", { auth: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of Object.values(METRIC_NAMES)) {
      expect(metrics.text).toContain(`# TYPE ${name} `);
    }
    expect(
      sampleValue(metrics.text, METRIC_NAMES.queueJobs, {
        prefix: p.config.queuePrefix,
        queue: "refund-submit",
        state: "waiting",
      }),
    ).toBeDefined();

    await p.workers!.close();
    const notReady = await call(server, "GET", "/readyz", { auth: null });
    expect(notReady.status).toBe(503);
    expect(notReady.json).toEqual({
      status: "not-ready",
      checks: { redis: "ok", workers: "stopped", durability: "none" },
    });
    expect((await call(server, "GET", "/healthz", { auth: null })).status).toBe(200);
  });

  it("reports queue depths read from Redis at scrape time", async () => {
    const { p, server } = await startApi("http-depths");
    for (const id of ["D1", "D2", "D3"]) {
      await p.producer.enqueue({ refundRequestId: id, prepayId: "9100", refundAmount: "1" });
    }
    const text = (await call(server, "GET", "/metrics", { auth: null })).text;
    // Every series carries the deployment's queue prefix.
    const depth = (queue: string) =>
      sampleValue(text, "gatepay_refunds_queue_jobs", {
        prefix: p.config.queuePrefix,
        queue,
        state: "waiting",
      });
    expect(depth("refund-submit")).toBe(3);
    expect(depth("refund-poll")).toBe(0);
    expect(text).not.toMatch(/^gatepay_refunds_\w+\{(?![^}]*prefix=)/m);
  });

  it("times every answered request by method, route pattern and status code", async () => {
    const { p, server } = await startApi("http-request-metrics");
    await p.producer.enqueue({ refundRequestId: "H1", prepayId: "9300", refundAmount: "1" });
    expect((await call(server, "GET", "/refunds/H1")).status).toBe(200);
    expect((await call(server, "GET", "/refunds/H1")).status).toBe(200);
    expect((await call(server, "GET", "/refunds/UNKNOWN-ID-7")).status).toBe(404);
    expect((await call(server, "GET", "/refunds/H1", { auth: null })).status).toBe(401);
    expect((await call(server, "GET", "/no/such/path?token=abc")).status).toBe(404);
    const text = (await call(server, "GET", "/metrics", { auth: null })).text;

    const count = (route: string, statusCode: number) =>
      sampleValue(text, `${METRIC_NAMES.httpRequestDuration}_count`, {
        prefix: p.config.queuePrefix,
        method: "GET",
        route,
        status_code: String(statusCode),
      });
    expect(count("/refunds/:id", 200)).toBe(2);
    expect(count("/refunds/:id", 404)).toBe(1);
    expect(count("/refunds/:id", 401)).toBe(1);
    expect(count("(no route)", 404)).toBe(1);
    // The route pattern, never the raw URL: no ids, paths or query strings in the labels.
    expect(text).not.toContain("UNKNOWN-ID-7");
    expect(text).not.toContain("/no/such/path");
    expect(text).not.toContain("token=abc");
  });

  it("serves the bull-board dashboard and its API behind the token", async () => {
    const { p, server } = await startApi("http-dashboard");
    await p.producer.enqueue({ refundRequestId: "Q1", prepayId: "9200", refundAmount: "1" });
    const page = await call(server, "GET", DASHBOARD_PATH);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.text).toContain("<title>GatePay refunds</title>");
    expect(page.text).toContain(`<base href="${DASHBOARD_PATH}/"`);
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const js = await call(server, "GET", `${DASHBOARD_PATH}/${script}`);
    expect(js.status).toBe(200);
    expect((await call(server, "GET", `${DASHBOARD_PATH}/${script}`, { auth: null })).status).toBe(
      401,
    );

    const api = await call(
      server,
      "GET",
      `${DASHBOARD_PATH}/api/queues?activeQueue=refund-submit&status=latest`,
    );
    expect(api.status).toBe(200);
    const queues = (api.json as { queues: { name: string; counts: Record<string, number> }[] })
      .queues;
    expect(queues.map((q) => q.name).sort()).toEqual(["refund-poll", "refund-submit"]);
    expect(queues.find((q) => q.name === "refund-submit")?.counts["waiting"]).toBe(1);
  });

  it("shows a contradicted refund in GET /attention and its record's attention field", async () => {
    const { p, server } = await startApi("http-attention");
    const store = p.producer.store;
    await p.producer.enqueue(JSON.parse(refund("ATT1")) as unknown);
    await store.transition("ATT1", {
      type: "submit-started",
      attempt: 1,
      leaseOwner: "w",
      leaseUntilMs: Date.now() + 10_000,
    });
    await store.transition("ATT1", {
      type: "rejected",
      error: { code: "400608", message: "refund exceeds order" },
    });
    expect((await call(server, "GET", "/attention")).json).toEqual({ count: 0, refunds: [] });
    const said = { source: "details", at: new Date().toISOString(), status: "SUCCESS" } as const;
    const t = await store.transition("ATT1", { type: "succeeded", answer: said });
    expect(t.applied && t.attention?.code).toBe("SUCCESS_AFTER_REFUSAL");

    const list = await call(server, "GET", "/attention?limit=5");
    expect(list.status).toBe(200);
    const body = list.json as { count: number; refunds: RefundRecord[] };
    expect(body.count).toBe(1);
    expect(body.refunds[0]).toMatchObject({
      refundRequestId: "ATT1",
      state: "rejected",
      attention: { code: "SUCCESS_AFTER_REFUSAL" },
    });
    const one = await call(server, "GET", "/refunds/ATT1");
    expect(one.json).toMatchObject({ attention: { code: "SUCCESS_AFTER_REFUSAL" } });
    const bad = await call(server, "GET", "/attention?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
  });

  it("keeps the dashboard read-only without ADMIN_TOKEN: API_TOKEN cannot write (403)", async () => {
    const { p, server } = await startApi("http-dashboard-ro");
    await p.producer.enqueue({ refundRequestId: "RO1", prepayId: "9201", refundAmount: "1" });
    const api = `${DASHBOARD_PATH}/api/queues`;
    for (const [method, path] of [
      ["PUT", `${api}/refund-submit/pause`],
      ["PUT", `${api}/refund-submit/clean/waiting`],
      ["PUT", `${api}/refund-submit/empty`],
      ["PUT", `${api}/refund-submit/obliterate`],
    ] as const) {
      const a = await call(server, method, path);
      expect(a.status, path).toBe(403);
      expect(a.json).toMatchObject({
        error: { code: "FORBIDDEN", message: expect.stringContaining("ADMIN_TOKEN") },
      });
      expect((await call(server, method, path, { auth: null })).status).toBe(401);
    }
    expect(await p.producer.queues.submit.isPaused()).toBe(false);
    expect(await p.producer.queues.submit.getWaitingCount()).toBe(1);
    expect((await call(server, "GET", `${api}?activeQueue=refund-submit`)).status).toBe(200);
  });

  it("lets only a bearer ADMIN_TOKEN write, and takes no token from the query string", async () => {
    const ADMIN = "admin-token-71d4c0e9a2b35f86";
    const { p, server } = await startApi("http-dashboard-admin", { env: { ADMIN_TOKEN: ADMIN } });
    const pause = `${DASHBOARD_PATH}/api/queues/refund-submit/pause`;
    const basic = (t: string) => `Basic ${Buffer.from(`op:${t}`).toString("base64")}`;
    // The producers' token, in any scheme, and Basic with the admin token (a browser
    // would replay it on a cross-site request): 403, nothing changes.
    for (const auth of [`Bearer ${TOKEN}`, basic(TOKEN), basic(ADMIN)]) {
      const a = await call(server, "PUT", pause, { auth });
      expect(a.status, auth).toBe(403);
      expect(a.json).toMatchObject({ error: { code: "FORBIDDEN" } });
    }
    expect((await call(server, "PUT", `${pause}?token=${ADMIN}`, { auth: null })).status).toBe(401);
    expect((await call(server, "PUT", pause, { auth: "Bearer wrong-token-0000000" })).status).toBe(
      401,
    );
    expect(await p.producer.queues.submit.isPaused()).toBe(false);
    // The admin token reads too (bearer or Basic) and, as a bearer token, writes.
    expect((await call(server, "GET", DASHBOARD_PATH, { auth: basic(ADMIN) })).status).toBe(200);
    expect((await call(server, "PUT", pause, { auth: `Bearer ${ADMIN}` })).status).toBe(200);
    expect(await p.producer.queues.submit.isPaused()).toBe(true);
  });

  it("puts /metrics behind METRICS_TOKEN when it is set (bearer only)", async () => {
    const METRICS = "metrics-token-c3a9e1f07b6d2458";
    const { server } = await startApi("http-metrics-token", { env: { METRICS_TOKEN: METRICS } });
    expect((await call(server, "GET", "/metrics", { auth: null })).status).toBe(401);
    expect((await call(server, "GET", `/metrics?token=${METRICS}`, { auth: null })).status).toBe(
      401,
    );
    expect((await call(server, "GET", "/metrics")).status).toBe(401);
    const ok = await call(server, "GET", "/metrics", { auth: `Bearer ${METRICS}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("gatepay_refunds_");
  });
});
