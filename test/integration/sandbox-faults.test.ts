/**
 * Each sandbox fault over real HTTP, seen through the project's own GatePay client: what
 * the client gets, and what the ledger holds afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  GatePayApiError,
  GatePayClient,
  GatePayConnectionError,
  GatePayTimeoutError,
} from "../../src/gatepay/index.js";
import {
  startSandbox,
  type FaultConfig,
  type Sandbox,
  type SandboxOptions,
} from "../../src/sandbox/index.js";

const CLIENT_ID = "fault-client";
const SECRET = "fault-secret-0b5d";
const PREPAY = "880000000000000001";

let sb: Sandbox;
let client: GatePayClient;

async function start(extra: Partial<SandboxOptions> = {}): Promise<void> {
  sb = await startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    duplicateMode: "duplicate",
    settleDelayMs: Infinity,
    orders: [{ prepayId: PREPAY, amount: "1000", currency: "USDT", kind: "order" }],
    ...extra,
  });
  client = new GatePayClient({
    baseUrl: sb.url,
    clientId: CLIENT_ID,
    secretKey: SECRET,
    timeoutMs: 2_000,
    readRetries: 0,
  });
}

const create = (id: string, amount = "1") =>
  client.createOrderRefund({ refundRequestId: id, prepayId: PREPAY, refundAmount: amount });

/** The outcome of one call, as a short label. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof GatePayTimeoutError) return "timeout";
    if (err instanceof GatePayConnectionError) return "connection";
    if (err instanceof GatePayApiError) return `http${err.httpStatus}:${err.code ?? "-"}`;
    throw err;
  }
}

afterEach(async () => {
  await sb.close();
});

describe("faults on refund creation", () => {
  beforeEach(async () => {
    await start();
  });

  it("http500: HTTP 500 with code 300000 and nothing recorded", async () => {
    sb.faults.script("orderRefund", ["http500"]);
    const err = await create("e500").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatePayApiError);
    expect(err).toMatchObject({ httpStatus: 500, code: "300000" });
    expect(sb.ledger.refundsFor("e500")).toHaveLength(0);
    expect(sb.counters().faults.orderRefund.http500).toBe(1);
    // The script is used up: the same id now goes through.
    await create("e500");
    expect(sb.ledger.refundsFor("e500")).toHaveLength(1);
  });

  it("http429: HTTP 429 with Retry-After 1 s and nothing recorded", async () => {
    sb.faults.script("orderRefund", ["http429"]);
    const err = await create("e429").catch((e: unknown) => e);
    expect(err).toMatchObject({ httpStatus: 429, retryAfterMs: 1_000 });
    expect(sb.ledger.refunds).toHaveLength(0);
  });

  it("dropBefore: the connection drops and nothing is recorded", async () => {
    sb.faults.script("orderRefund", ["dropBefore"]);
    const err = await create("drop1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatePayConnectionError);
    expect(err).not.toBeInstanceOf(GatePayTimeoutError);
    expect(sb.ledger.refundsFor("drop1")).toHaveLength(0);
  });

  it("dropAfter: the refund is recorded while the client sees a connection error", async () => {
    sb.faults.script("orderRefund", ["dropAfter"]);
    const err = await create("drop2", "7.25").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatePayConnectionError);
    expect((err as GatePayConnectionError).requestMayHaveReached).toBe(true);
    expect(sb.ledger.refundsFor("drop2")).toMatchObject([
      { refundAmount: "7.25", status: "PROCESSING" },
    ]);
    expect(sb.ledger.order(PREPAY)?.refundedAmount).toBe("7.25");
    // Looking it up finds it: the documented reconciliation (gatepay-api.md §9).
    expect(await client.getRefundDetails("drop2")).toMatchObject({ refundRequestId: "drop2" });
  });

  it("slowAfter: recorded, then answered after the client's timeout", async () => {
    sb.faults.set({ orderRefund: { slowAfterMs: 1_500 } });
    sb.faults.script("orderRefund", ["slowAfter"]);
    const started = Date.now();
    const err = await client
      .createOrderRefund(
        { refundRequestId: "slow1", prepayId: PREPAY, refundAmount: "2" },
        { timeoutMs: 300 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatePayTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(sb.ledger.refundsFor("slow1")).toHaveLength(1);
  });

  it("slowAfter: a patient client gets the answer late", async () => {
    sb.faults.set({ orderRefund: { slowAfterMs: 300 } });
    sb.faults.script("orderRefund", ["slowAfter"]);
    const started = Date.now();
    await expect(create("slow2")).resolves.toMatchObject({ refundRequestId: "slow2" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("latency: every answer waits latencyMs", async () => {
    sb.faults.set({ orderRefund: { latencyMs: 250 } });
    const started = Date.now();
    await create("lat1");
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it("faults are per endpoint; `default` covers every endpoint", async () => {
    sb.faults.set({ orderRefund: { http500: 1 } });
    expect(await outcome(create("pe1"))).toBe("http500:300000");
    expect(await client.getRefundDetails("pe1")).toBeNull();
    sb.faults.set({ default: { http500: 1 }, orderRefund: { http500: 0 } });
    expect(await outcome(create("pe2"))).toBe("ok");
    expect(await outcome(client.getRefundDetails("pe2"))).toBe("http500:300000");
    expect(await outcome(client.queryRefundV1("pe2"))).toBe("http500:300000");
  });
});

describe("faults on reads", () => {
  beforeEach(async () => {
    await start();
  });

  it("detailsLagMs: a new refund is unknown (400304) to details and query for N ms", async () => {
    sb.faults.set({ default: { detailsLagMs: 1_000 } });
    await create("lag1");
    const createdAt = sb.ledger.refundsFor("lag1")[0]!.createdAtMs;
    expect(await client.getRefundDetails("lag1")).toBeNull();
    expect(await client.queryRefundV1("lag1")).toBeNull();
    await expect
      .poll(() => client.getRefundDetails("lag1"), { timeout: 3_000, interval: 50 })
      .toMatchObject({ refundRequestId: "lag1", status: "PROCESSING" });
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(1_000);
    expect(await client.queryRefundV1("lag1")).toMatchObject({ refundStatus: "PROCESSING" });
    expect(sb.counters().detailsLagged).toBeGreaterThanOrEqual(2);
  });

  it("scripted read faults: 500, drop, 429 then the answer", async () => {
    await create("rd1");
    sb.faults.script("refundDetails", ["http500", "dropBefore", "http429"]);
    expect(await outcome(client.getRefundDetails("rd1"))).toBe("http500:300000");
    expect(await outcome(client.getRefundDetails("rd1"))).toBe("connection");
    expect(await outcome(client.getRefundDetails("rd1"))).toBe("http429:429");
    expect(await outcome(client.getRefundDetails("rd1"))).toBe("ok");
    expect(sb.counters().faults.refundDetails).toEqual({
      http500: 1,
      http429: 1,
      dropBefore: 1,
      dropAfter: 0,
      slowAfter: 0,
    });
  });

  it("the client's own read retries get through scripted faults", async () => {
    await create("rd2");
    const patient = new GatePayClient({
      baseUrl: sb.url,
      clientId: CLIENT_ID,
      secretKey: SECRET,
      readRetries: 2,
    });
    sb.faults.script("refundDetails", ["http500", "dropBefore"]);
    await expect(patient.getRefundDetails("rd2")).resolves.toMatchObject({
      refundRequestId: "rd2",
    });
    expect(sb.counters().requests.refundDetails).toBe(3);
  });
});

describe("seeded ratios", () => {
  const FAULTS: FaultConfig = {
    orderRefund: { http500: 0.2, http429: 0.1, dropBefore: 0.1, dropAfter: 0.15 },
  };

  async function run(seed: number): Promise<{ outcomes: string[]; recorded: string[] }> {
    await start({ seed, faults: FAULTS });
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) outcomes.push(await outcome(create(`s${i}`)));
    const recorded = sb.ledger.refunds.map((r) => r.refundRequestId);
    await sb.close();
    return { outcomes, recorded };
  }

  it("the same seed gives the same fault sequence and the same ledger; another seed does not", async () => {
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(b).toEqual(a);
    expect(c.outcomes).not.toEqual(a.outcomes);
    // Every kind shows up at these ratios, and the ledger agrees with what the client saw:
    // recorded = answered ok + dropped after recording.
    for (const kind of ["ok", "http500:300000", "http429:429", "connection"]) {
      expect(a.outcomes).toContain(kind);
    }
    const okIds = a.outcomes.flatMap((o, i) => (o === "ok" ? [`s${i}`] : []));
    expect(a.recorded).toEqual(expect.arrayContaining(okIds));
    sb = await startSandbox({ clientId: CLIENT_ID, secretKey: SECRET });
  });

  it("reset() restarts the sequence", async () => {
    await start({ seed: 7, faults: FAULTS });
    const first: string[] = [];
    for (let i = 0; i < 20; i++) first.push(await outcome(create(`x${i}`)));
    sb.reset();
    sb.seedOrders({ prepayId: PREPAY, amount: "1000", currency: "USDT", kind: "order" });
    const again: string[] = [];
    for (let i = 0; i < 20; i++) again.push(await outcome(create(`x${i}`)));
    expect(again).toEqual(first);
  });

  it("ratios can change at run time", async () => {
    await start();
    expect(await outcome(create("rt1"))).toBe("ok");
    sb.faults.set({ orderRefund: { http429: 1 } });
    expect(await outcome(create("rt2"))).toBe("http429:429");
    sb.faults.clear();
    expect(await outcome(create("rt3"))).toBe("ok");
  });
});
