/**
 * The create group script's reservation writes against the real Redis: refunds of one
 * order in one group add up, each keeps its own reservation field, the cap sees what the
 * refunds before it in the same group reserved, and a total past 2^53 micro-units stays
 * exact.
 */
import { afterAll, describe, expect, it } from "vitest";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { RefundStore } from "../../src/store/refund-store.js";
import { connect, usePrefix } from "../helpers/redis.js";

const PREPAY = "1991810932510167040";
const redis = connect();
afterAll(async () => {
  await redis.quit();
});

const order = (id: string, refundAmount: string) =>
  parseRefundRequest({ refundRequestId: id, prepayId: PREPAY, refundAmount });

describe("createReserved-n.lua reservations", () => {
  it("refunds of one order in one group add up, each with its own reservation", async () => {
    const store = new RefundStore(redis, usePrefix(redis, "group-sum"));
    await store.learnOrderAmount(PREPAY, "30", "USDT");
    const out = await store.createMany([
      order("r-1", "10"),
      order("r-2", "12.5"),
      order("r-3", "7.5"),
      order("r-4", "0.0001"),
      order("r-1", "10"),
    ]);
    expect(out.map((o) => o.outcome)).toEqual([
      "created",
      "created",
      "created",
      "over-refund",
      "existing",
    ]);
    expect(await redis.hgetall(store.keys.order(PREPAY))).toMatchObject({
      reserved: "30000000",
      "r:r-1": "10000000",
      "r:r-2": "12500000",
      "r:r-3": "7500000",
    });
    expect(await redis.hexists(store.keys.order(PREPAY), "r:r-4")).toBe(0);
    expect(await store.orderReservation(PREPAY)).toEqual({ orderAmount: "30", reserved: "30" });
  });

  it("a total past 2^53 micro-units is added exactly", async () => {
    const store = new RefundStore(redis, usePrefix(redis, "group-big"));
    await redis.hset(store.keys.order(PREPAY), "reserved", "9007199254740993");
    const out = await store.createMany([order("r-1", "1"), order("r-2", "0.0001")]);
    expect(out.map((o) => o.outcome)).toEqual(["created", "created"]);
    expect(await redis.hget(store.keys.order(PREPAY), "reserved")).toBe("9007199255741093");
  });
});
