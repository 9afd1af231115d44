/**
 * examples/checkout-backend, run as its own process the way a developer runs it (`node
 * --import tsx src/main.ts`, the library imported by package name), against the refund
 * workers and the GatePay sandbox: a refund asked for on an order is enqueued through the
 * library, and the backend's events follower moves the order to `refunded` (or
 * `refund_failed` when GatePay refuses), once, however often the request is repeated.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startPipeline } from "../helpers/pipeline.js";
import { cleanupPrefix, redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";

const EXAMPLE_DIR = fileURLToPath(new URL("../../examples/checkout-backend/", import.meta.url));
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
});

/** Starts the example; resolves with its URL once it listens. */
async function startExample(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: EXAMPLE_DIR,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const url = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`example exited ${child.exitCode}: ${err}`);
      return /listening on (http:\/\/\S+)/.exec(out)?.[1];
    },
    "the example backend to listen",
    60_000,
  );
  return { url, child };
}

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function orderStatus(
  base: string,
  orderId: string,
): Promise<Record<string, string> | undefined> {
  const res = await fetch(`${base}/orders/${orderId}`);
  return res.status === 200 ? ((await res.json()) as Record<string, string>) : undefined;
}

describe("examples/checkout-backend", { timeout: 120_000 }, () => {
  it("refunds an order through the library and follows the events to its final status", async () => {
    const p = await startPipeline({ name: "checkout-example" });
    const keyPrefix = `checkout-t-${randomBytes(4).toString("hex")}`;
    p.sandbox.seedOrders({
      prepayId: "99000000000000001",
      amount: "80",
      currency: "USDT",
      kind: "order",
    });
    const { url } = await startExample({
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: p.prefix.slice(1, -1), // the bare name, as an operator would write it
      PORT: "0",
      CHECKOUT_KEY_PREFIX: keyPrefix,
    });
    try {
      const refund = { refundRequestId: "CO-1", prepayId: "99000000000000001", amount: "19.99" };
      const first = await post(`${url}/orders/order-1/refunds`, refund);
      expect(first.status).toBe(202);
      const again = await post(`${url}/orders/order-1/refunds`, refund); // a client retry
      expect(again.status).toBe(200);

      const done = await waitFor(async () => {
        const o = await orderStatus(url, "order-1");
        return o?.["status"] === "refunded" ? o : undefined;
      }, "order-1 to be refunded");
      expect(done).toMatchObject({ refundRequestId: "CO-1", refundState: "succeeded" });
      expect(p.sandbox.ledger.refundsFor("CO-1")).toHaveLength(1);

      // GatePay refuses a refund for an order it does not know: the order shows it.
      const refused = await post(`${url}/orders/order-2/refunds`, {
        refundRequestId: "CO-2",
        prepayId: "99000000000000002",
        amount: "5",
      });
      expect(refused.status).toBe(202);
      const failed = await waitFor(async () => {
        const o = await orderStatus(url, "order-2");
        return o?.["status"] === "refund_failed" ? o : undefined;
      }, "order-2 to show the refused refund");
      expect(failed["refundState"]).toBe("rejected");

      const invalid = await post(`${url}/orders/order-3/refunds`, {
        refundRequestId: "CO-3",
        prepayId: "99000000000000001",
        amount: "1.5.0",
      });
      expect(invalid.status).toBe(400);
      expect(JSON.stringify(invalid.json)).toContain("refundAmount");
      expect(await orderStatus(url, "order-3")).toBeUndefined(); // nothing noted, nothing sent
      expect(p.sandbox.ledger.refundsFor("CO-3")).toHaveLength(0);
    } finally {
      await cleanupPrefix(p.redis, keyPrefix);
    }
  });
});
