/** The sandbox over real HTTP (loopback, port 0): admin routes, options and a clean close. */
import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { ORDER, CONVERT, call, refund, admin, startTestSandbox } from "../helpers/sandbox-http.js";

let sb: Sandbox;
const start = async (extra: Partial<SandboxOptions> = {}) => (sb = await startTestSandbox(extra));
afterEach(() => sb.close());

describe("admin routes under /__sandbox", () => {
  beforeEach(async () => {
    await start({ orders: [] });
  });

  it("health, seed one or many, ledger, counters", async () => {
    expect(await admin(sb, "GET", "/health")).toEqual({ status: 200, json: { status: "ok" } });
    const one = await admin(sb, "POST", "/orders", ORDER);
    expect(one.json["orders"]).toEqual([
      {
        ...ORDER,
        refundedAmount: "0",
        succeededAmount: "0",
        remainingAmount: "10.5",
        refundCount: 0,
      },
    ]);
    const many = await admin(sb, "POST", "/orders", {
      orders: [CONVERT, { ...ORDER, prepayId: "3" }],
    });
    expect(many.status).toBe(200);
    expect(sb.ledger.orders.map((o) => o.prepayId)).toEqual([
      ORDER.prepayId,
      CONVERT.prepayId,
      "3",
    ]);
    const bad = await admin(sb, "POST", "/orders", [
      { ...ORDER, prepayId: "4" },
      { prepayId: "5", amount: "x" },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: "orders[1].currency: is required" });
    expect(sb.ledger.order("4")).toBeUndefined();

    await call(sb, "/v1/pay/order/refund", { body: refund("adm1", "2") });
    await call(sb, "/v1/pay/order/refund", { body: refund("adm2", "2"), secret: "bad" });
    const ledger = await admin(sb, "GET", "/ledger");
    expect(ledger.json["refunds"]).toMatchObject([
      { refundRequestId: "adm1", refundAmount: "2", status: "PROCESSING" },
    ]);
    const counters = (await admin(sb, "GET", "/counters")).json;
    expect(counters).toMatchObject({
      requests: { orderRefund: 2, refundDetails: 0 },
      authFailures: { signature: 1 },
      answers: { "000000": 1, "400002": 1 },
      refundsRecorded: 1,
    });
  });

  it("change faults and scripts at run time, settle, configure, reset", async () => {
    await admin(sb, "POST", "/orders", ORDER);
    expect((await admin(sb, "POST", "/faults", { orderRefund: { http500: 1 } })).status).toBe(200);
    const failed = await call(sb, "/v1/pay/order/refund", { body: refund("fa1", "1") });
    expect(failed.status).toBe(500);
    expect(failed.json.code).toBe("300000");
    expect((await admin(sb, "POST", "/faults", { orderRefund: { http500: 2 } })).status).toBe(400);
    await admin(sb, "DELETE", "/faults");
    await admin(sb, "POST", "/faults/script", { operation: "orderRefund", actions: ["http429"] });
    expect((await admin(sb, "GET", "/faults")).json).toEqual({
      faults: {},
      scripts: { orderRefund: ["http429"] },
    });
    expect((await call(sb, "/v1/pay/order/refund", { body: refund("fa2", "1") })).status).toBe(429);
    expect((await call(sb, "/v1/pay/order/refund", { body: refund("fa3", "1") })).status).toBe(200);

    const settled = await admin(sb, "POST", "/settle", {
      refundRequestId: "fa3",
      status: "FAIL",
      reason: "why",
    });
    expect(settled.json["settled"]).toMatchObject([
      { refundRequestId: "fa3", status: "FAIL", failReason: "why" },
    ]);

    expect((await admin(sb, "POST", "/config", { duplicateMode: "reject" })).json).toMatchObject({
      duplicateMode: "reject",
    });
    expect(await admin(sb, "POST", "/config", { duplicateMode: "maybe" })).toEqual({
      status: 400,
      json: { error: "duplicateMode: must be one of idempotent, duplicate, reject" },
    });
    expect(sb.settings().duplicateMode).toBe("reject");

    await admin(sb, "POST", "/reset");
    expect(sb.ledger.refunds).toHaveLength(0);
    expect(sb.ledger.orders).toHaveLength(0);
    expect(sb.counters().requests.orderRefund).toBe(0);
    expect(sb.settings().duplicateMode).toBe("idempotent");
    expect((await admin(sb, "GET", "/nothing")).status).toBe(404);
  });
});

describe("startSandbox options and close", () => {
  it("rejects invalid options before listening", async () => {
    await expect(startSandbox({ clientId: "", secretKey: "s" })).rejects.toThrow(/clientId/);
    await expect(startSandbox({ clientId: "c", secretKey: "s", failureRatio: 2 })).rejects.toThrow(
      /failureRatio/,
    );
    await expect(
      startSandbox({ clientId: "c", secretKey: "s", faults: { default: { http500: -1 } } }),
    ).rejects.toThrow(/http500/);
    await expect(
      startSandbox({ clientId: "c", secretKey: "s", webhookUrl: "ftp://x" }),
    ).rejects.toThrow(/webhookUrl/);
    sb = await start();
  });

  it("binds 127.0.0.1 by default; close() ends open requests and refuses new ones", async () => {
    await start();
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    sb.faults.script("refundDetails", ["slowAfter"]);
    await call(sb, "/v1/pay/order/refund", { body: refund("h1", "1") });
    const pending = call(sb, "/v2/pay/refund/details?refundRequestId=h1", { method: "GET" }).catch(
      (e: unknown) => e,
    );
    await expect.poll(() => sb.counters().faults.refundDetails.slowAfter).toBe(1);
    await sb.close();
    await sb.close();
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${sb.url}/__sandbox/health`)).rejects.toThrow();
  });

  it("close() leaves no handle behind: a process with timers, retries and sockets exits by itself", async () => {
    // Run in a child process: if anything the sandbox started (settlement timer, webhook
    // retry timer, slow answer, keep-alive socket, agent) survived close(), the child
    // would stay alive and miss the deadline.
    const script = `
      import { request, Agent } from "node:http";
      import { startSandbox } from "./src/sandbox/index.ts";
      import { buildSignedHeaders } from "./src/gatepay/signing.ts";
      const sb = await startSandbox({
        clientId: "c", secretKey: "s", settleDelayMs: 60000,
        orders: [{ prepayId: "p1", amount: "5", currency: "USDT", kind: "order" }],
        webhookUrl: "http://127.0.0.1:9/unreachable",
        webhook: { schedule: [60000], sendProcess: true },
      });
      const agent = new Agent({ keepAlive: true });
      const post = (path, payload) => new Promise((resolve) => {
        const body = JSON.stringify(payload);
        const req = request(sb.url + path, { method: "POST", agent,
          headers: buildSignedHeaders({ clientId: "c", secret: "s", body }) }, (res) => {
          res.resume(); res.on("end", () => resolve(res.statusCode));
        });
        req.on("error", (e) => resolve(e.code ?? "error"));
        req.end(body);
      });
      console.log("created", await post("/v1/pay/order/refund",
        { refundRequestId: "r1", prepayId: "p1", refundAmount: "1" }));
      sb.faults.script("refundQueryV1", ["slowAfter"]);
      const slow = post("/v1/pay/order/refund/query", { refundRequestId: "r1" });
      while (sb.counters().faults.refundQueryV1.slowAfter === 0) await new Promise((r) => setImmediate(r));
      while (sb.webhookDeliveries()[0]?.lastError === undefined) await new Promise((r) => setImmediate(r));
      await sb.close();
      console.log("slow", await slow);
      console.log("closed");
    `;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: process.cwd(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | string | null>((resolve) => {
      const deadline = setTimeout(() => {
        child.kill("SIGKILL");
        resolve("still running 15 s after close()");
      }, 15_000);
      child.on("exit", (c) => {
        clearTimeout(deadline);
        resolve(c);
      });
    });
    expect({ code, out, err }).toMatchObject({ code: 0, out: expect.stringContaining("closed") });
    expect(out).toContain("created 200");
    expect(out).toMatch(/slow (ECONNRESET|error)/);
    sb = await start();
  });
});
