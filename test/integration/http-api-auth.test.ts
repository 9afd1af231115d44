/**
 * The HTTP API over real HTTP (fastify on 127.0.0.1:0, the real Redis): the token on every
 * protected route, the read-only dashboard, ADMIN_TOKEN and METRICS_TOKEN.
 */
import { describe, expect, it } from "vitest";
import { DASHBOARD_PATH } from "../../src/http/server.js";
import { TOKEN, startApi, call, PROTECTED } from "../helpers/http-api.js";

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
