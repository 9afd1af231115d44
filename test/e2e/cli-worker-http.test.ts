/**
 * `gatepay-refunds worker` with its HTTP server: a backend enqueues over HTTP, GatePay's
 * webhooks reach the worker, and SIGTERM drains and exits 0. With QUEUE_SHARDS=2 it runs
 * and exposes the durability metrics once (one series per shard).
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../src/cli/demo/find-redis.js";
import { shardPrefixes } from "../../src/domain/shard.js";
import { sampleValue } from "../helpers/prometheus.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";
import { cliEnv, exitCodeWithin, killAllCli, spawnCli } from "./cli-process.js";

const CLIENT_ID = "cli-http-client";
const SECRET = "cli-http-secret-8e2f4a6c1b";
const TOKEN = "cli-http-token-0123456789abcdef";

const redis = connect();
const prefix = newPrefix("cli-http");

afterEach(async () => {
  await killAllCli();
});
afterAll(async () => {
  await cleanupPrefix(redis, prefix);
  await redis.quit();
});

describe("gatepay-refunds worker with the HTTP server", () => {
  it("takes a refund over HTTP, settles it from GatePay's webhook, and drains on SIGTERM", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const sandbox = spawnCli(
      [
        "sandbox",
        "--port",
        "0",
        "--client-id",
        CLIENT_ID,
        "--secret-key",
        SECRET,
        "--seed-orders",
        "1",
        "--settle-delay-ms",
        "300",
        "--duplicate-mode",
        "duplicate",
        "--webhook-url",
        `${base}/webhooks/gatepay`,
        "--webhook-schedule",
        "compressed",
      ],
      cliEnv({}),
    );
    const [, sandboxUrl = ""] = await sandbox.waitForStdout(/listening on (http:\/\/\S+)/);
    const worker = spawnCli(
      ["worker"],
      cliEnv({
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: prefix,
        GATEPAY_BASE_URL: sandboxUrl,
        GATEPAY_CLIENT_ID: CLIENT_ID,
        GATEPAY_SECRET_KEY: SECRET,
        HTTP_PORT: String(port),
        API_TOKEN: TOKEN,
        // Polling far away: the webhook is what settles the refund.
        POLL_FIRST_DELAY_MS: "600000",
        POLL_MAX_DELAY_MS: "600000",
        LOG_LEVEL: "info",
      }),
    );
    await worker.waitForStdout(/"msg":"workers running"/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const res = await fetch(`${base}/refunds`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        refundRequestId: "http-1",
        prepayId: "9000000000000000001",
        refundAmount: "10.5",
      }),
    });
    expect(res.status).toBe(201);

    const final = await waitFor(
      async () => {
        const r = await fetch(`${base}/refunds/http-1`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = (await r.json()) as { state?: string; gatepay?: { source?: string } };
        return body.state === "succeeded" ? body : null;
      },
      "http-1 to succeed by webhook",
      30_000,
    );
    expect(final.gatepay?.source).toBe("webhook");
    const ledger = (await (await fetch(`${sandboxUrl}/__sandbox/ledger`)).json()) as {
      refunds: { refundRequestId: string }[];
    };
    expect(ledger.refunds.filter((r) => r.refundRequestId === "http-1")).toHaveLength(1);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/gatepay_/);

    worker.child.kill("SIGTERM");
    expect(await exitCodeWithin(worker, 20_000)).toBe(0);
  }, 90_000);
});

describe("gatepay-refunds worker with QUEUE_SHARDS=2 and metrics", () => {
  it("runs and exposes the durability metrics once, per shard", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const shardedPrefix = newPrefix("cli-http-shards");
    const worker = spawnCli(
      ["worker"],
      cliEnv({
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: shardedPrefix,
        QUEUE_SHARDS: "2",
        GATEPAY_BASE_URL: "http://127.0.0.1:9",
        GATEPAY_CLIENT_ID: CLIENT_ID,
        GATEPAY_SECRET_KEY: SECRET,
        HTTP_PORT: String(port),
        LOG_LEVEL: "info",
      }),
    );
    try {
      await worker.waitForStdout(/"msg":"workers running"/);
      const text = await (await fetch(`${base}/metrics`)).text();
      for (const name of [
        "gatepay_refunds_durability_mode",
        "gatepay_refunds_sends_withheld_total",
        "gatepay_refunds_durability_barriers_total",
        "gatepay_refunds_redis_replicas",
        "gatepay_refunds_redis_aof_enabled",
      ]) {
        expect(text.split("\n").filter((l) => l.startsWith(`# TYPE ${name} `))).toHaveLength(1);
      }
      // What the posture check read on the local Redis, for each shard.
      const info = await redis.info();
      const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? "0");
      const aof = /aof_enabled:1/.test(info) ? 1 : 0;
      for (const shard of ["0", "1"]) {
        expect(sampleValue(text, "gatepay_refunds_redis_replicas", { shard })).toBe(replicas);
        expect(sampleValue(text, "gatepay_refunds_redis_aof_enabled", { shard })).toBe(aof);
        const modes = ["none", "replica", "aof", "replica+aof"].map(
          (mode) => sampleValue(text, "gatepay_refunds_durability_mode", { mode, shard }) ?? 0,
        );
        expect(modes.reduce((a, b) => a + b)).toBe(1);
      }
      worker.child.kill("SIGTERM");
      expect(await exitCodeWithin(worker, 20_000)).toBe(0);
    } finally {
      for (const p of [shardedPrefix, ...shardPrefixes(shardedPrefix, 2)]) {
        await cleanupPrefix(redis, p);
      }
    }
  }, 90_000);
});
