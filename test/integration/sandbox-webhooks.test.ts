/**
 * Settlement and PAY_REFUND webhooks (gatepay-api.md §6–7) over real HTTP: the sandbox
 * settles after its delay, signs every notification, retries until a receiver (a real
 * loopback server) acknowledges, and duplicates or reorders on request.
 */
import { afterEach, describe, expect, it } from "vitest";
import { GatePayClient, verifyRefundWebhook, WEBHOOK_ACK_BODY } from "../../src/gatepay/index.js";
import { GATEPAY_HEADERS, verifySignature } from "../../src/gatepay/signing.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import {
  startCaptureServer,
  type CaptureServer,
  type CapturedRequest,
} from "../helpers/capture-server.js";

const CLIENT_ID = "hook-client";
const SECRET = "hook-secret-9e1f";
const PREPAY = "990000000000000009";
const ACK = { status: 200, body: WEBHOOK_ACK_BODY } as const;

let sb: Sandbox | undefined;
let receiver: CaptureServer | undefined;
let client: GatePayClient;

async function start(extra: Partial<SandboxOptions> = {}, withReceiver = true): Promise<Sandbox> {
  receiver = withReceiver ? await startCaptureServer({ fallback: ACK }) : undefined;
  sb = await startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    duplicateMode: "duplicate",
    orders: [{ prepayId: PREPAY, amount: "50", currency: "USDT", kind: "order" }],
    settleDelayMs: 100,
    ...(receiver ? { webhookUrl: `${receiver.url}/webhooks/gatepay` } : {}),
    webhook: { schedule: "compressed" },
    ...extra,
  });
  client = new GatePayClient({
    baseUrl: sb.url,
    clientId: CLIENT_ID,
    secretKey: SECRET,
    readRetries: 0,
  });
  return sb;
}

const create = (id: string, amount = "5") =>
  client.createOrderRefund({ refundRequestId: id, prepayId: PREPAY, refundAmount: amount });

function verified(req: CapturedRequest) {
  return verifyRefundWebhook({ secret: SECRET, headers: req.headers, rawBody: req.rawBody });
}

const header = (req: CapturedRequest, name: string) => req.headers[name.toLowerCase()] as string;

afterEach(async () => {
  await sb?.close();
  await receiver?.close();
  sb = undefined;
  receiver = undefined;
});

describe("settlement", () => {
  it("a refund is PROCESSING, then SUCCESS after the settle delay", async () => {
    const s = await start({ settleDelayMs: 1_000 }, false);
    await create("ok1");
    expect(await client.getRefundDetails("ok1")).toMatchObject({ status: "PROCESSING" });
    await expect
      .poll(async () => (await client.getRefundDetails("ok1"))?.status, {
        timeout: 3_000,
        interval: 25,
      })
      .toBe("SUCCESS");
    const r = s.ledger.refundsFor("ok1")[0]!;
    expect(r.settledAtMs! - r.createdAtMs).toBeGreaterThanOrEqual(990);
    expect(s.ledger.order(PREPAY)).toMatchObject({ refundedAmount: "5", succeededAmount: "5" });
  });

  it("with failureRatio 1 it fails with the configured reason and frees the amount", async () => {
    const s = await start({ failureRatio: 1, failureReason: "account frozen" }, false);
    await create("bad1", "20");
    await expect
      .poll(async () => (await client.getRefundDetails("bad1"))?.status, {
        timeout: 3_000,
        interval: 25,
      })
      .toBe("FAIL");
    expect(await client.getRefundDetails("bad1")).toMatchObject({
      refund_fail_reason: "account frozen",
    });
    expect(await client.queryRefundV1("bad1")).toMatchObject({ refundStatus: "FAIL" });
    expect(s.ledger.order(PREPAY)?.remainingAmount).toBe("50");
  });

  it("the failure draw is seeded: same seed, same outcomes", async () => {
    const outcomes = async (seed: number) => {
      const s = await start({ seed, failureRatio: 0.5, settleDelayMs: Infinity }, false);
      for (let i = 0; i < 20; i++) await create(`f${i}`, "1");
      s.settleNow();
      const statuses = s.ledger.refunds.map((r) => r.status);
      await s.close();
      return statuses;
    };
    const a = await outcomes(5);
    expect(await outcomes(5)).toEqual(a);
    expect(await outcomes(6)).not.toEqual(a);
    expect(a).toContain("SUCCESS");
    expect(a).toContain("FAIL");
  });
});

describe("PAY_REFUND webhooks", () => {
  it("are signed with the Payment API Secret over the raw body, with a §7.3 body", async () => {
    await start();
    await create("wh1", "12.5");
    const [req] = await receiver!.waitForRequests(1);
    expect(req!.method).toBe("POST");
    expect(req!.url).toBe("/webhooks/gatepay");
    const ts = header(req!, GATEPAY_HEADERS.timestamp);
    const nonce = header(req!, GATEPAY_HEADERS.nonce);
    const sig = header(req!, GATEPAY_HEADERS.signature);
    expect(verifySignature(SECRET, ts, nonce, req!.body, sig)).toBe(true);
    expect(verifySignature("another-secret", ts, nonce, req!.body, sig)).toBe(false);

    const body = JSON.parse(req!.body) as Record<string, unknown>;
    const refund = sb!.ledger.refundsFor("wh1")[0]!;
    expect(body).toMatchObject({
      bizType: "PAY_REFUND",
      bizId: refund.gateRefundId,
      bizStatus: "REFUND_SUCCESS",
      clientId: CLIENT_ID,
    });
    expect(typeof body["data"]).toBe("string");
    expect(JSON.parse(body["data"] as string)).toMatchObject({
      refundInfo: {
        refundRequestId: "wh1",
        prepayId: PREPAY,
        orderAmount: "50",
        refundAmount: "12.5",
      },
    });
    // The project's own receiver-side verifier accepts it.
    expect(verified(req!)).toMatchObject({
      bizStatus: "REFUND_SUCCESS",
      refundRequestId: "wh1",
      prepayId: PREPAY,
      refundAmount: "12.5",
    });
    await expect.poll(() => sb!.webhookDeliveries()[0]?.state).toBe("acked");
    // The delivery log is on the admin API too.
    const log = (await (await fetch(`${sb!.url}/__sandbox/webhooks`)).json()) as unknown[];
    expect(log).toMatchObject([
      { refundRequestId: "wh1", bizStatus: "REFUND_SUCCESS", state: "acked", attempts: 1 },
    ]);
    const config = (await (await fetch(`${sb!.url}/__sandbox/config`)).json()) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      duplicateMode: "duplicate",
      settleDelayMs: 100,
      webhookUrl: `${receiver!.url}/webhooks/gatepay`,
    });
  });

  it("a failed settlement notifies REFUND_REJECTED", async () => {
    await start({ failureRatio: 1 });
    await create("wh2");
    const [req] = await receiver!.waitForRequests(1);
    expect(verified(req!).bizStatus).toBe("REFUND_REJECTED");
  });

  it("sendProcess adds REFUND_PROCESS on acceptance, before the final status", async () => {
    await start({ webhook: { schedule: "compressed", sendProcess: true } });
    await create("wh3");
    const reqs = await receiver!.waitForRequests(2);
    expect(reqs.map((r) => verified(r).bizStatus)).toEqual(["REFUND_PROCESS", "REFUND_SUCCESS"]);
  });

  it("are retried on the schedule until acknowledged, re-signed each time", async () => {
    await start();
    receiver!.enqueue(
      { status: 500, body: "oops" },
      { status: 200, body: { returnCode: "FAIL", returnMessage: "busy" } },
      { drop: true },
      { status: 200, body: "not json" },
    );
    await create("wh4");
    const reqs = await receiver!.waitForRequests(5, 10_000);
    expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
    expect(new Set(reqs.map((r) => header(r, GATEPAY_HEADERS.nonce))).size).toBe(5);
    for (const r of reqs) expect(verified(r).refundRequestId).toBe("wh4");
    // Compressed schedule: 50, 100, 200, 400 ms between attempts (allow timer slack).
    const gaps = reqs.slice(1).map((r, i) => r.receivedAtMs - reqs[i]!.receivedAtMs);
    [50, 100, 200, 400].forEach((min, i) => expect(gaps[i]).toBeGreaterThanOrEqual(min - 5));
    await expect
      .poll(() => sb!.webhookDeliveries()[0])
      .toMatchObject({ state: "acked", attempts: 5 });
    expect(sb!.counters().webhooks).toMatchObject({
      attempts: 5,
      failedAttempts: 4,
      acked: 1,
      gaveUp: 0,
    });
    // Acknowledged: no further attempts.
    expect(receiver!.requests).toHaveLength(5);
  });

  it("give up when the schedule runs out", async () => {
    await start({ webhook: { schedule: [20, 20] } });
    receiver!.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
    await create("wh5");
    await expect.poll(() => sb!.webhookDeliveries()[0]?.state, { timeout: 3_000 }).toBe("gave-up");
    expect(sb!.webhookDeliveries()[0]).toMatchObject({ attempts: 3, lastHttpStatus: 503 });
    expect(sb!.counters().webhooks.gaveUp).toBe(1);
    expect(receiver!.requests).toHaveLength(3);
  });

  it("an attempt slower than webhook.timeoutMs counts as unacknowledged and is retried", async () => {
    await start({ webhook: { schedule: "compressed", timeoutMs: 150 } });
    receiver!.enqueue({ ...ACK, delayMs: 1_000 });
    await create("wh6");
    await expect.poll(() => sb!.webhookDeliveries()[0]?.state, { timeout: 3_000 }).toBe("acked");
    expect(sb!.webhookDeliveries()[0]).toMatchObject({ attempts: 2 });
    expect(sb!.webhookDeliveries()[0]!.lastError).toMatch(/150 ms/);
  });

  it("duplicateRatio 1 delivers every notification twice", async () => {
    await start({ webhook: { schedule: "compressed", duplicateRatio: 1 } });
    await create("wh7");
    const reqs = await receiver!.waitForRequests(2);
    expect(reqs[0]!.body).toBe(reqs[1]!.body);
    expect(header(reqs[0]!, GATEPAY_HEADERS.nonce)).not.toBe(
      header(reqs[1]!, GATEPAY_HEADERS.nonce),
    );
    await expect
      .poll(() => sb!.webhookDeliveries().map((d) => [d.duplicate, d.state]))
      .toEqual([
        [false, "acked"],
        [true, "acked"],
      ]);
    expect(sb!.counters().webhooks.duplicates).toBe(1);
  });

  it("reorder delivers the final status before REFUND_PROCESS", async () => {
    await start({ webhook: { schedule: "compressed", reorder: true } });
    await create("wh8");
    const reqs = await receiver!.waitForRequests(2);
    expect(reqs.map((r) => verified(r).bizStatus)).toEqual(["REFUND_SUCCESS", "REFUND_PROCESS"]);
  });

  it("duplicate refunds each notify; nothing is sent without a URL until one is configured", async () => {
    const s = await start({ settleDelayMs: Infinity }, false);
    await create("wh9");
    s.settleNow();
    expect(s.webhookDeliveries()).toHaveLength(0);
    receiver = await startCaptureServer({ fallback: ACK });
    s.configure({ webhookUrl: receiver.url });
    await create("wh9");
    await create("wh9");
    s.settleNow({ refundRequestId: "wh9" });
    const reqs = await receiver.waitForRequests(2);
    expect(reqs.map((r) => verified(r).bizId).sort()).toEqual(
      s.ledger
        .refundsFor("wh9")
        .slice(1)
        .map((r) => r.gateRefundId)
        .sort(),
    );
  });
});
