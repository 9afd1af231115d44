/**
 * What a transition writes along with the record (RefundStore.transition's `driver` and
 * `orderAmount` options), against the real Redis: the worker's setDriver and
 * learnOrderAmount round trips after an `accepted` write, folded into transition-5.lua.
 * Each is written exactly when the record is, and never when the compare-and-set loses.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import type { RefundEvent } from "../../src/domain/refund-state.js";
import type { RefundStore } from "../../src/store/refund-store.js";
import { clockedStore, type ClockedStore } from "../helpers/clocked-store.js";
import { connect } from "../helpers/redis.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const STALL_MS = 60_000;
const PREPAY = "1991810932510167040";

const redis = connect();
afterAll(async () => {
  await redis.quit();
});

/** A store on a fresh prefix with a clock the test moves by hand. */
function newStore(name: string): ClockedStore {
  return clockedStore(redis, name, T0, STALL_MS);
}

async function created(store: RefundStore, id: string, refundAmount: string): Promise<void> {
  const request = parseRefundRequest({ refundRequestId: id, prepayId: PREPAY, refundAmount });
  expect((await store.create(request)).outcome).toBe("created");
}

const answer = { source: "create", at: new Date(T0).toISOString(), status: "PROCESSING" } as const;
const STARTED: RefundEvent = {
  type: "submit-started",
  attempt: 1,
  leaseOwner: "w-1",
  leaseUntilMs: T0 + 30_000,
};
const ACCEPTED: RefundEvent = { type: "accepted", answer, deadlineAtMs: T0 + 3_600_000 };
const SUCCEEDED: RefundEvent = { type: "succeeded", answer: { ...answer, status: "SUCCESS" } };
const pollOne = (next: RefundRecord) =>
  next.state === "accepted"
    ? { jobId: `poll-${next.refundRequestId}-1`, dueAtMs: T0 + 10_000 }
    : undefined;

async function started(store: RefundStore, id: string): Promise<RefundRecord> {
  const out = await store.transition(id, STARTED);
  if (!out.applied) throw new Error(`not started: ${out.reason}`);
  return out.record;
}

describe("a transition's driver", () => {
  it("is noted with the write: the record's job and the in-flight score past its due time", async () => {
    const { store } = newStore("driver-folded");
    await created(store, "r-1", "1");
    const submitting = await started(store, "r-1");
    const out = await store.transition("r-1", ACCEPTED, submitting, { driver: pollOne });
    expect(out).toMatchObject({
      applied: true,
      record: { state: "accepted" },
      driver: { jobId: "poll-r-1-1", dueAtMs: T0 + 10_000 },
    });
    expect(await store.getDriver("r-1")).toBe("poll-r-1-1");
    expect(Number(await redis.zscore(store.keys.inflight, "r-1"))).toBe(T0 + 10_000 + STALL_MS);
    expect(await store.overdue(T0 + 10_000 + STALL_MS - 1, 10)).toEqual([]);
    expect(await store.overdue(T0 + 10_000 + STALL_MS, 10)).toEqual(["r-1"]);
  });

  it("is left alone when the function names none, and never noted for a final record", async () => {
    const { store, clock } = newStore("driver-none");
    await created(store, "r-1", "1");
    await store.setDriver("r-1", "submit-r-1", T0);
    clock.ms = T0 + 5_000;
    const out = await store.transition("r-1", STARTED, undefined, { driver: pollOne });
    expect(out.applied && out.driver).toBeUndefined();
    expect(await store.getDriver("r-1")).toBe("submit-r-1");
    expect(Number(await redis.zscore(store.keys.inflight, "r-1"))).toBe(T0 + 5_000 + STALL_MS);
    // A driver for a final record is ignored: the refund leaves the in-flight index.
    await store.transition("r-1", ACCEPTED);
    const final = await store.transition("r-1", SUCCEEDED, undefined, {
      driver: () => ({ jobId: "poll-r-1-9", dueAtMs: T0 }),
    });
    expect(final).toMatchObject({ applied: true, record: { state: "succeeded" } });
    expect(final.applied && final.driver).toBeUndefined();
    expect(await store.getDriver("r-1")).toBe("submit-r-1");
    expect(await redis.zscore(store.keys.inflight, "r-1")).toBeNull();
  });

  it("is not noted when the compare-and-set loses", async () => {
    const { store } = newStore("driver-lost");
    await created(store, "r-1", "1");
    const stale = await store.get("r-1");
    await started(store, "r-1");
    // The stale `queued` copy cannot take the lease again: nothing is written at all.
    const out = await store.transition("r-1", STARTED, stale, {
      retryOnConflict: false,
      driver: () => ({ jobId: "poll-r-1-1", dueAtMs: T0 + 999_999 }),
    });
    expect(out).toMatchObject({ applied: false, reason: "conflict" });
    expect(await store.getDriver("r-1")).toBeNull();
    expect(Number(await redis.zscore(store.keys.inflight, "r-1"))).toBe(T0 + STALL_MS);
  });
});

describe("a transition's order amount", () => {
  it("is stored with the write (currency upper-cased) and caps the order's next refunds", async () => {
    const { store } = newStore("order-folded");
    await created(store, "r-1", "60");
    const submitting = await started(store, "r-1");
    const out = await store.transition("r-1", ACCEPTED, submitting, {
      orderAmount: { amount: "100.0000009", currency: "usdt" },
    });
    expect(out).toMatchObject({ applied: true, orderAmountStored: true });
    // Floored to micro-units, as learnOrderAmount stores it.
    expect(await redis.hmget(store.keys.order(PREPAY), "amount", "ccy")).toEqual([
      "100000000",
      "USDT",
    ]);
    expect(await store.orderReservation(PREPAY)).toEqual({ orderAmount: "100", reserved: "60" });
    const over = parseRefundRequest({
      refundRequestId: "r-2",
      prepayId: PREPAY,
      refundAmount: "40.000001",
    });
    expect((await store.create(over)).outcome).toBe("over-refund");
    await created(store, "r-3", "40");
  });

  it("without a currency leaves the order's currency as it is", async () => {
    const { store } = newStore("order-no-ccy");
    await store.learnOrderAmount(PREPAY, "50", "USDT");
    await created(store, "r-1", "1");
    const out = await store.transition("r-1", STARTED, undefined, {
      orderAmount: { amount: "70" },
    });
    expect(out).toMatchObject({ applied: true, orderAmountStored: true });
    expect(await redis.hmget(store.keys.order(PREPAY), "amount", "ccy")).toEqual([
      "70000000",
      "USDT",
    ]);
  });

  it("is not stored when nothing is written, and says so", async () => {
    const { store } = newStore("order-lost");
    await created(store, "r-1", "1");
    const stale = await store.get("r-1");
    await started(store, "r-1");
    const lost = await store.transition("r-1", STARTED, stale, {
      retryOnConflict: false,
      orderAmount: { amount: "100" },
    });
    expect(lost).toMatchObject({ applied: false, reason: "conflict" });
    // A refused event writes nothing either.
    const refused = await store.transition("r-1", { type: "replayed" }, undefined, {
      orderAmount: { amount: "100" },
    });
    expect(refused.applied).toBe(false);
    expect(await redis.hexists(store.keys.order(PREPAY), "amount")).toBe(0);
  });

  it("an amount that does not convert is not folded (the caller's learnOrderAmount throws)", async () => {
    const { store } = newStore("order-bad");
    await created(store, "r-1", "1");
    const out = await store.transition("r-1", STARTED, undefined, {
      orderAmount: { amount: "not a number" },
    });
    expect(out.applied).toBe(true);
    expect(out.applied && out.orderAmountStored).toBeUndefined();
    expect(await redis.hexists(store.keys.order(PREPAY), "amount")).toBe(0);
    await expect(store.learnOrderAmount(PREPAY, "not a number")).rejects.toThrow();
  });
});
