/**
 * Secrets never leak (issue 13): a refund runs through the whole pipeline with every log
 * line captured at debug level, GatePay faults induced (HTTP 500, a connection dropped
 * after the refund was made), refused HTTP calls (wrong token, a dashboard write with the
 * producers' token, a webhook with a stale signature), and then the GatePay secret, the
 * request signatures, the API, admin and metrics tokens appear in no log line, no HTTP
 * answer, and nowhere in Redis under the deployment's prefix (job data, records,
 * streams, batches). The Redis password is covered by test/e2e/cli-worker-redis-auth.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { signPayload } from "../../src/gatepay/signing.js";
import { DASHBOARD_PATH, startHttpServer, WEBHOOK_PATH } from "../../src/http/server.js";
import { createMetrics } from "../../src/worker/metrics.js";
import { SECRET, startPipeline } from "../helpers/pipeline.js";

const API = "api-token-leakcheck-4b1e9d07";
const ADMIN = "admin-token-leakcheck-c82f5a36";
const METRICS = "metrics-token-leakcheck-19e7b04d";
/** A GatePay request signature: HMAC-SHA512 in hex. */
const SIGNATURE_LIKE = /[0-9a-f]{128}/i;

/** Every value stored under `prefix`, as text. */
async function dumpRedis(
  redis: Awaited<ReturnType<typeof startPipeline>>["redis"],
  prefix: string,
): Promise<string> {
  const parts: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(
      cursor,
      "MATCH",
      `${prefix.replace(/[{}]/g, "\\$&")}*`,
      "COUNT",
      500,
    );
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      parts.push(key);
      if (type === "string") parts.push((await redis.get(key)) ?? "");
      else if (type === "hash") parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === "list") parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === "set") parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === "zset")
        parts.push(JSON.stringify(await redis.zrange(key, 0, -1, "WITHSCORES")));
      else if (type === "stream") parts.push(JSON.stringify(await redis.xrange(key, "-", "+")));
    }
  } while (cursor !== "0");
  return parts.join("\n");
}

describe("secrets never leak", () => {
  it(
    "no secret, signature or token in logs, answers, job data or records",
    { timeout: 90_000 },
    async () => {
      const p = await startPipeline({
        name: "secrets-never-leak",
        env: { API_TOKEN: API, ADMIN_TOKEN: ADMIN, METRICS_TOKEN: METRICS },
      });
      p.sandbox.seedOrders([
        { prepayId: "7701", amount: "100", currency: "USDT", kind: "order" },
        { prepayId: "7702", amount: "100", currency: "USDT", kind: "order" },
      ]);
      const server = await startHttpServer({
        config: p.config,
        producer: p.producer,
        logger: p.logger,
        metrics: createMetrics({ defaultMetrics: false, queuePrefix: p.config.queuePrefix }),
        port: 0,
        host: "127.0.0.1",
        ...(p.workers && { workers: p.workers }),
      });
      onTestFinished(() => server.close());

      // Faults on the way: a 500 then a connection dropped after the refund was made.
      p.sandbox.faults.script("orderRefund", ["http500", "dropAfter"]);
      p.sandbox.faults.script("refundDetails", ["http500"]);

      const answers: string[] = [];
      const call = async (
        method: string,
        path: string,
        auth?: string,
        body?: string,
        headers: Record<string, string> = {},
      ) => {
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: {
            ...(auth && { authorization: auth }),
            ...(body !== undefined && { "content-type": "application/json" }),
            ...headers,
          },
          ...(body !== undefined && { body }),
        });
        const text = await res.text();
        answers.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
        return res.status;
      };

      expect(
        await call(
          "POST",
          "/refunds",
          `Bearer ${API}`,
          JSON.stringify({ refundRequestId: "leak-1", prepayId: "7701", refundAmount: "5.00" }),
        ),
      ).toBe(201);
      await p.producer.enqueue({
        refundRequestId: "leak-2",
        prepayId: "7702",
        refundAmount: "7.25",
      });
      expect(await call("POST", "/refunds", `Bearer ${API}x`, "{}")).toBe(401);
      expect(await call("POST", "/refunds", `Bearer ${API}`, '{"refundAmount":-1}')).toBe(400);
      expect(
        await call("PUT", `${DASHBOARD_PATH}/api/queues/refund-submit/pause`, `Bearer ${API}`),
      ).toBe(403);
      expect(await call("GET", `/metrics`, `Bearer ${METRICS}`)).toBe(200);
      expect(await call("GET", `/refunds/leak-1?token=${API}`)).toBe(401);
      // A webhook signed with the real secret but a stale timestamp: refused, logged.
      const body = JSON.stringify({
        bizType: "PAY_REFUND",
        bizId: "x",
        bizStatus: "REFUND_SUCCESS",
        data: "{}",
      });
      const ts = String(Date.now() - 3_600_000);
      const signature = signPayload(SECRET, ts, "nonce123", body);
      await call("POST", WEBHOOK_PATH, undefined, body, {
        "x-gatepay-timestamp": ts,
        "x-gatepay-nonce": "nonce123",
        "x-gatepay-signature": signature,
      });

      const one = await p.waitFinal("leak-1", 40_000);
      const two = await p.waitFinal("leak-2", 40_000);
      expect(one.state).toBe("succeeded");
      expect(two.state).toBe("succeeded");

      const stored = await dumpRedis(p.redis, p.prefix);
      expect(stored).toContain("leak-1");
      const places = { logs: p.logs.join("\n"), answers: answers.join("\n"), redis: stored };
      expect(p.logs.length).toBeGreaterThan(10);
      for (const [where, text] of Object.entries(places)) {
        for (const secret of [SECRET, API, ADMIN, METRICS, signature]) {
          expect(text.includes(secret), `${where} holds a secret`).toBe(false);
        }
        expect(SIGNATURE_LIKE.exec(text)?.[0], `${where} holds a signature`).toBeUndefined();
      }
    },
  );
});
