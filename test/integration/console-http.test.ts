/**
 * The operator console over real HTTP without a browser: the real server, Redis and the
 * GatePay sandbox. Who may read and act (bearer, session cookie, CSRF, admin token),
 * what each page shows, escaping, the batch report, and replay of a dead refund through
 * the same path as the CLI (looked up at GatePay first: still one refund in its ledger).
 */
import { describe, expect, it } from "vitest";
import { runBatch } from "../../src/producer/batch/index.js";
import {
  ADMIN_TOKEN,
  API_TOKEN,
  batchFile,
  bearer,
  get,
  login,
  makeDead,
  ORDER,
  post,
  startConsole,
} from "../helpers/console.js";
import { startPipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

describe("console access", () => {
  it("sends browsers to the login form, answers 401 otherwise, and sets a strict session cookie", async () => {
    const { server } = await startConsole("console-auth");
    const browser = await get(server, "/console/attention", { accept: "text/html" });
    expect(browser.status).toBe(303);
    expect(browser.headers.get("location")).toBe("/console/login?next=%2Fconsole%2Fattention");
    const api = await get(server, "/console");
    expect(api.status).toBe(401);
    expect(api.text).toContain("UNAUTHORIZED");

    const wrong = await post(server, "/console/login", { token: ADMIN_TOKEN, next: "/console" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(wrong.text).toContain("not the API token");

    const ok = await post(server, "/console/login", {
      token: API_TOKEN,
      next: "/console/attention",
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/console/attention");
    const setCookie = ok.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(
      /^gatepay_console=\d+\.[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=28800$/,
    );
    expect(setCookie).not.toContain(API_TOKEN);

    const page = await get(server, "/console", { cookie: setCookie.split(";")[0]! });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("content-security-policy")).not.toContain("unsafe-inline");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.text).toContain("Refunds by state");
    expect(page.text).toContain("Mode: <strong>not reported</strong>");

    // A forged or expired session reads nothing; an open redirect is refused.
    const forged = await get(server, "/console", { cookie: "gatepay_console=99999999999999.AAAA" });
    expect(forged.status).toBe(401);
    const expired = await get(server, "/console", {
      cookie: `gatepay_console=1.${setCookie.split(".")[1]!.split(";")[0]}`,
    });
    expect(expired.status).toBe(401);
    const away = await post(server, "/console/login", {
      token: API_TOKEN,
      next: "//evil.example/x",
    });
    expect(away.headers.get("location")).toBe("/console");
  });

  it("is closed (503) without API_TOKEN", async () => {
    const p = await startPipeline({ name: "console-closed", workers: false });
    const { startHttpServer } = await import("../../src/http/server.js");
    const { createLogger } = await import("../../src/logger.js");
    const { createMetrics } = await import("../../src/worker/metrics.js");
    const server = await startHttpServer({
      config: p.config,
      producer: p.producer,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics({ defaultMetrics: false }),
      port: 0,
      host: "127.0.0.1",
    });
    try {
      const res = await get(server, "/console", { accept: "text/html" });
      expect(res.status).toBe(503);
      expect(res.text).toContain("API_TOKEN_NOT_CONFIGURED");
      const login = await post(server, "/console/login", { token: "anything-at-all-123" });
      expect(login.status).toBe(503);
    } finally {
      await server.close();
    }
  });
});

describe("console pages", () => {
  it("shows a batch's progress to 100 %, its invalid row, and its report; the overview counts it", async () => {
    const { p, server } = await startConsole("console-batch", {
      durability: () => ({ mode: "replica", replicas: 1 }),
    });
    await p.startWorkers();
    const file = await batchFile("CB", 6);
    const run = await runBatch(p.producer, file, { batchId: "console-b1" });
    await run.dispose();

    const list = await get(server, "/console/batches", bearer);
    expect(list.text).toContain('href="/console/batches/console-b1"');
    const progress = await waitFor(
      async () => {
        const res = await get(server, "/console/batches/console-b1/progress.json", bearer);
        const body = JSON.parse(res.text) as { percent: number; final: number; total: number };
        return body.percent === 100 ? body : null;
      },
      "the batch to reach 100 %",
      30_000,
      200,
    );
    expect(progress).toMatchObject({ final: 6, total: 6, byState: { succeeded: 6 } });

    const page = await get(server, "/console/batches/console-b1", bearer);
    expect(page.text).toContain('value="100"');
    expect(page.text).toMatch(
      /<td>8<\/td><td>invalid<\/td><td>CBBAD<\/td><td><code>INVALID_ROW<\/code><\/td>/,
    );

    const report = await get(server, "/console/batches/console-b1/report.csv", bearer);
    expect(report.headers.get("content-disposition")).toContain(
      'filename="batch-console-b1-report.csv"',
    );
    const lines = report.text.trim().split("\r\n");
    expect(lines[0]).toMatch(/^line,refundRequestId,outcome,state,batchId/);
    expect(lines.filter((l) => /^,CB\d,created,succeeded,console-b1,/.test(l))).toHaveLength(6);
    expect(lines.some((l) => l.startsWith("8,CBBAD,invalid,invalid,"))).toBe(true);

    const overview = await get(server, "/console", bearer);
    expect(overview.text).toContain('<td data-state-count="succeeded">6</td>');
    expect(overview.text).toMatch(/6 refunds reached a final state in the last hour/);
    expect(overview.text).toContain("Mode: <strong>replica</strong>");
    expect(overview.text).toContain("<li>replicas: 1</li>");
  });

  it("escapes what it shows and draws a refund's timeline and GatePay's answer", async () => {
    const { p, server } = await startConsole("console-refund");
    await p.startWorkers();
    const reason = `<script>alert("x")</script>&'`;
    await p.producer.enqueue({
      refundRequestId: "CR1",
      prepayId: ORDER,
      refundAmount: "2",
      refundReason: reason,
    });
    await p.waitFinal("CR1");
    const page = await get(server, "/console/refunds/CR1", bearer);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("<script>alert");
    expect(page.text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
    expect(page.text).toMatch(/<ol class="timeline">.*queued.*submitting.*accepted.*succeeded/s);
    expect(page.text).toMatch(/<dt>Status<\/dt><dd>SUCCESS<\/dd>/);
    expect(page.text).not.toContain("Look up and replay");

    const missing = await get(server, "/console/refunds/NOPE%3Cb%3E", bearer);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("No refund NOPE&lt;b&gt;.");
    const search = await get(server, "/console/refunds?id=CR1", bearer);
    expect(search.headers.get("location")).toBe("/console/refunds/CR1");
  });

  it("lists dead refunds, conflicts and unmatched notifications; replay needs CSRF and the admin token", async () => {
    const { p, server } = await startConsole("console-attention");
    await p.startWorkers();
    await makeDead(p, "CD1");
    const attentionKey = `${p.prefix}:attention`;
    await p.redis.zadd(attentionKey, Date.now(), "CONFLICT1");
    // A refund the worker flagged (a late success after a refusal): the note rides in the
    // record, as the worker writes it.
    await p.producer.enqueue({ refundRequestId: "FLAG1", prepayId: ORDER, refundAmount: "1" });
    await p.waitFinal("FLAG1");
    const recordKey = p.producer.store.keys.record("FLAG1");
    const rec = JSON.parse((await p.redis.hget(recordKey, "rec"))!) as Record<string, unknown>;
    rec["attention"] = { code: "LATE_SUCCESS", at: "2026-01-01T00:00:00Z", detail: "<b>late</b>" };
    await p.redis.hset(recordKey, "rec", JSON.stringify(rec));
    await p.redis.zadd(attentionKey, Date.now(), "FLAG1");
    await p.redis.xadd(
      `${p.prefix}:unmatched-notifications`,
      "*",
      "refundRequestId",
      "GHOST9",
      "status",
      "SUCCESS",
      "signature",
      "sig-value-never-shown",
    );

    const { cookie, csrf } = await login(server);
    const attention = await get(server, "/console/attention", { cookie });
    expect(attention.text).toContain("Dead (1)");
    expect(attention.text).toContain('href="/console/refunds/CD1#replay"');
    expect(attention.text).toContain("Conflicts (2)");
    expect(attention.text).toContain(
      "<td><code>LATE_SUCCESS</code></td><td>&lt;b&gt;late&lt;/b&gt;</td><td>2026-01-01T00:00:00Z</td>",
    );
    expect(attention.text).toContain("CONFLICT1");
    expect(attention.text).toContain("GHOST9");
    expect(attention.text).not.toContain("sig-value-never-shown");

    const refundPage = await get(server, "/console/refunds/CD1", { cookie });
    expect(refundPage.text).toContain("Look up and replay");
    const version = /name="version" value="(\d+)"/.exec(refundPage.text)?.[1] ?? "";

    // Refused: no CSRF token, the API token as admin token, a wrong admin token.
    const noCsrf = await post(
      server,
      "/console/refunds/CD1/replay",
      { adminToken: ADMIN_TOKEN, version },
      { cookie },
    );
    expect(noCsrf.status).toBe(403);
    const apiAsAdmin = await post(
      server,
      "/console/refunds/CD1/replay",
      { csrf, adminToken: API_TOKEN, version },
      { cookie },
    );
    expect(apiAsAdmin.status).toBe(403);
    expect(apiAsAdmin.text).toContain("nothing was replayed");
    const stale = await post(
      server,
      "/console/refunds/CD1/replay",
      { csrf, adminToken: ADMIN_TOKEN, version: "0" },
      { cookie },
    );
    expect(stale.status).toBe(409);
    expect((await p.producer.getRefund("CD1"))?.state).toBe("dead");

    const ok = await post(
      server,
      "/console/refunds/CD1/replay",
      { csrf, adminToken: ADMIN_TOKEN, version },
      { cookie },
    );
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/console/refunds/CD1?replayed=1");
    const final = await p.waitFinal("CD1", 30_000);
    expect(final.state).toBe("succeeded");
    // Looked up first: the refund the dropped POST made is the one that settled.
    expect(p.sandbox.ledger.refundsFor("CD1")).toHaveLength(1);

    // A second replay of a refund that is no longer dead changes nothing.
    const again = await post(
      server,
      "/console/refunds/CD1/replay",
      { csrf, adminToken: ADMIN_TOKEN, version: String(final.version) },
      { cookie },
    );
    expect(again.status).toBe(409);
  });
});
