/**
 * The HTTP API over real HTTP (fastify on 127.0.0.1:0, the real Redis): refunds and
 * batches with each error status, body limits, and error bodies without internals.
 */
import { describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { startApi, call, refund } from "../helpers/http-api.js";

describe("HTTP API", () => {
  it("enqueues, reads and refuses refunds with the documented statuses", async () => {
    const { p, server } = await startApi("http-refunds");

    const created = await call(server, "POST", "/refunds", { body: refund("A1") });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ refundRequestId: "A1", state: "queued" });
    const again = await call(server, "POST", "/refunds", { body: refund("A1") });
    expect(again.status).toBe(200);
    expect((again.json as RefundRecord).version).toBe((created.json as RefundRecord).version);

    const read = await call(server, "GET", "/refunds/A1");
    expect(read.status).toBe(200);
    expect(read.json).toEqual(await p.producer.getRefund("A1"));

    // 400: validation, with field paths.
    const invalid = await call(server, "POST", "/refunds", {
      body: JSON.stringify({ refundRequestId: "bad id!", prepayId: "7001", refundAmount: "1.5e3" }),
    });
    expect(invalid.status).toBe(400);
    const issues = (invalid.json as { error: { code: string; issues: { path: string }[] } }).error;
    expect(issues.code).toBe("VALIDATION_ERROR");
    expect(issues.issues.map((i) => i.path).sort()).toEqual(["refundAmount", "refundRequestId"]);
    expect(invalid.json).toMatchObject({ error: { message: "the refund request is invalid" } });
    expect(await p.producer.getRefund("bad id!")).toBeNull();

    const notJson = await call(server, "POST", "/refunds", { body: "{ nope" });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ error: { code: "INVALID_JSON" } });
    const text = await call(server, "POST", "/refunds", {
      body: refund("T1"),
      contentType: "text/plain",
    });
    expect(text.status).toBe(415);
    expect(text.json).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    const huge = await call(server, "POST", "/refunds", {
      body: refund("H1", { refundReason: "x".repeat(70_000) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await p.producer.getRefund("H1")).toBeNull();

    // 409: the same id for another refund; the stored one is unchanged.
    const conflict = await call(server, "POST", "/refunds", {
      body: refund("A1", { refundAmount: "6" }),
    });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toEqual({
      error: {
        code: "IDEMPOTENCY_CONFLICT",
        message: expect.stringContaining('refundRequestId "A1" is already used') as unknown,
        issues: [
          {
            path: "refundAmount",
            message: "differs from the stored request with this refundRequestId",
          },
        ],
      },
    });
    expect((await p.producer.getRefund("A1"))?.request).toMatchObject({ refundAmount: "5" });

    // 422: over-refund, recorded as rejected; the same request again answers the same.
    const over = await call(server, "POST", "/refunds", {
      body: JSON.stringify({
        refundRequestId: "O1",
        prepayId: "7002",
        refundAmount: "20",
        orderAmount: "10",
      }),
    });
    expect(over.status).toBe(422);
    expect(over.json).toMatchObject({
      error: { code: "OVER_REFUND" },
      record: { refundRequestId: "O1", state: "rejected", lastError: { code: "OVER_REFUND" } },
    });
    const overAgain = await call(server, "POST", "/refunds", {
      body: JSON.stringify({
        refundRequestId: "O1",
        prepayId: "7002",
        refundAmount: "20",
        orderAmount: "10",
      }),
    });
    expect(overAgain.status).toBe(422);
    expect(overAgain.json).toEqual(over.json);
    const overBody = over.json as { error: { message: string }; record: RefundRecord };
    expect(Object.keys(overBody)).toEqual(["error", "record"]);
    expect(overBody.error.message).toBe(overBody.record.lastError?.message);

    // 404 / 400 on reads.
    expect((await call(server, "GET", "/refunds/NOPE")).status).toBe(404);
    expect((await call(server, "GET", "/refunds/a.b")).status).toBe(400);
    expect((await call(server, "GET", "/nowhere")).status).toBe(404);
  });

  it("reports a batch's counts, 404 for an unknown batch", async () => {
    const { p, server } = await startApi("http-batches");
    await p.producer.enqueueBulk(
      [
        { refundRequestId: "B1-1", prepayId: "8001", refundAmount: "1" },
        { refundRequestId: "B1-2", prepayId: "8001", refundAmount: "2" },
      ],
      { batchId: "B1" },
    );
    const batch = await call(server, "GET", "/batches/B1");
    expect(batch.status).toBe(200);
    expect(batch.json).toEqual({ batchId: "B1", counts: await p.producer.getBatch("B1") });
    expect(batch.json).toMatchObject({ counts: { total: 2, queued: 2 } });
    expect((await call(server, "GET", "/batches/NOPE")).status).toBe(404);
    expect((await call(server, "GET", "/batches/a:b")).status).toBe(400);
  });

  it("answers 500 without internals when Redis fails", async () => {
    const { p, server } = await startApi("http-500");
    // The record key holds a string: every read fails with WRONGTYPE inside Redis.
    await p.redis.set(p.producer.store.keys.record("BROKEN"), "not a hash");
    const a = await call(server, "GET", "/refunds/BROKEN");
    expect(a.status).toBe(500);
    expect(a.json).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
  });
});
