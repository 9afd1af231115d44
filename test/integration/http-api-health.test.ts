/**
 * The HTTP API over real HTTP (fastify on 127.0.0.1:0, the real Redis): health,
 * readiness, metrics, the dashboard and GET /attention.
 */
import { describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { DASHBOARD_PATH } from "../../src/http/server.js";
import { METRIC_NAMES } from "../../src/worker/metrics.js";
import { sampleValue } from "../helpers/prometheus.js";
import { startApi, call, refund } from "../helpers/http-api.js";

/** `/readyz`'s `checks.durabilityPosture` on the shared test Redis (no replica, no AOF). */
const SHARED_REDIS_POSTURE = {
  mode: "none",
  requested: "auto",
  server: expect.stringMatching(/^(redis|valkey) \d+\.\d+/) as unknown,
  aof: "off",
  appendfsync: expect.any(String) as unknown,
  connectedReplicas: 0,
  maxmemoryPolicy: "noeviction",
};

describe("HTTP API", () => {
  it("checks every shard's Redis in /readyz and logs the durability line once per server", async () => {
    const { p, server } = await startApi("http-health-shards", {
      workers: true,
      env: { QUEUE_SHARDS: "3" },
    });
    const ready = await call(server, "GET", "/readyz", { auth: null });
    expect(ready.status).toBe(200);
    const checks = (ready.json as { checks: Record<string, unknown> }).checks;
    expect(checks).toMatchObject({ redis: "ok", durability: "none" });
    const shards = checks["shards"] as { shard: number; redis: string; address: string }[];
    expect(shards.map((s) => [s.shard, s.redis])).toEqual([
      [0, "ok"],
      [1, "ok"],
      [2, "ok"],
    ]);
    for (const s of shards)
      expect(s).toMatchObject({ ...SHARED_REDIS_POSTURE, address: "127.0.0.1:6379" });
    // Three shards' monitors read the one server: one start-up line, not three.
    const lines = p.logs.filter((l) => /"msg":"durability none\b/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"connectedReplicas":0');
  });

  it("serves liveness, readiness that fails once the workers stop, and metrics", async () => {
    const { p, server } = await startApi("http-health", { workers: true });
    expect((await call(server, "GET", "/healthz", { auth: null })).json).toEqual({ status: "ok" });
    const ready = await call(server, "GET", "/readyz", { auth: null });
    expect(ready.status).toBe(200);
    // The shared test Redis has no replica and no AOF: auto resolves to none.
    expect(ready.json).toEqual({
      status: "ready",
      checks: {
        redis: "ok",
        workers: "running",
        durability: "none",
        durabilityPosture: SHARED_REDIS_POSTURE,
      },
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
      checks: {
        redis: "ok",
        workers: "stopped",
        durability: "none",
        durabilityPosture: SHARED_REDIS_POSTURE,
      },
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
});
