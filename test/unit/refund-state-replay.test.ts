/** The refund state machine: replayed and redriven events, and record creation. */
import { describe, expect, it } from "vitest";
import { overRefundEvent } from "../../src/domain/over-refund.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import { applyRefundEvent, createRefundRecord } from "../../src/domain/refund-state.js";
import { T0, recordIn, EVENTS, deepFreeze } from "../helpers/refund-state-fixtures.js";

describe("replay", () => {
  it("dead → queued with generation + 1", () => {
    const r = applyRefundEvent(
      recordIn("dead", { submit: { mayExist: false, generation: 3 } }),
      { type: "replayed" },
      T0,
    );
    expect(r.changed).toBe(true);
    expect(r.record.state).toBe("queued");
    expect(r.record.submit.generation).toBe(4);
    expect(r.record.history.at(-1)).toEqual({
      state: "queued",
      at: new Date(T0).toISOString(),
      event: "replayed",
    });
  });

  it("stuck → accepted with generation + 1 and the new deadline; acceptance time kept", () => {
    const r = applyRefundEvent(
      recordIn("stuck", {
        submit: { mayExist: true, generation: 0 },
        poll: { acceptedAtMs: T0 - 3_600_000, deadlineAtMs: T0 - 1 },
      }),
      { type: "replayed", deadlineAtMs: T0 + 600_000 },
      T0,
    );
    expect(r.record.state).toBe("accepted");
    expect(r.record.submit.generation).toBe(1);
    expect(r.record.poll).toEqual({ acceptedAtMs: T0 - 3_600_000, deadlineAtMs: T0 + 600_000 });
  });

  it("stuck → accepted without a new deadline keeps the old one", () => {
    const poll = { acceptedAtMs: T0 - 3_600_000, deadlineAtMs: T0 - 1 };
    const r = applyRefundEvent(recordIn("stuck", { poll }), { type: "replayed" }, T0);
    expect(r.record.poll).toEqual(poll);
  });

  it("a stuck refund without poll bookkeeping still gets the new deadline on replay", () => {
    const record = { ...recordIn("stuck"), poll: undefined } as unknown as ReturnType<
      typeof recordIn
    >;
    delete (record as { poll?: unknown }).poll;
    const r = applyRefundEvent(record, { type: "replayed", deadlineAtMs: T0 + 600_000 }, T0 + 5);
    expect(r.record.state).toBe("accepted");
    expect(r.record.poll).toEqual({ acceptedAtMs: T0 + 5, deadlineAtMs: T0 + 600_000 });
  });
});

describe("redriven", () => {
  it.each(["queued", "submitting", "accepted", "processing"] as const)(
    "%s stays %s with generation + 1 and a history entry",
    (state) => {
      const record = recordIn(state, { submit: { mayExist: true, generation: 2 } });
      const r = applyRefundEvent(record, EVENTS.redriven, T0);
      expect(r.changed).toBe(true);
      expect(r.record.state).toBe(state);
      expect(r.record.submit).toEqual({ mayExist: true, generation: 3 });
      expect(r.record.version).toBe(2);
      expect(r.record.history.at(-1)).toEqual({
        state,
        at: new Date(T0).toISOString(),
        event: "redriven",
      });
    },
  );
});

describe("creation", () => {
  const request = parseRefundRequest({
    refundRequestId: "r-1",
    prepayId: "1991810932510167040",
    refundAmount: "50",
  });

  it("a new record is queued, version 1, nothing sent, one `created` entry", () => {
    const at = new Date(T0).toISOString();
    expect(createRefundRecord(request, T0)).toStrictEqual({
      refundRequestId: "r-1",
      kind: "order",
      request,
      state: "queued",
      attempts: 0,
      history: [{ state: "queued", at, event: "created" }],
      createdAt: at,
      updatedAt: at,
      submit: { mayExist: false, generation: 0 },
      version: 1,
    });
    expect(createRefundRecord(request, T0, "b-1").batchId).toBe("b-1");
  });

  it("the over-refund guard's refusal makes the new record rejected / OVER_REFUND", () => {
    const queued = deepFreeze(createRefundRecord(request, T0));
    const event = overRefundEvent(request, { orderAmount: "100", reserved: "60" });
    expect(event).toEqual({
      type: "over-refund",
      error: {
        code: "OVER_REFUND",
        message:
          "refund of 50 exceeds what is left of order 1991810932510167040: " +
          "order amount 100, already refunded or in flight 60, left 40",
      },
    });
    const result = applyRefundEvent(queued, event, T0);
    expect(result.changed).toBe(true);
    const at = new Date(T0).toISOString();
    expect(result.record).toStrictEqual({
      ...queued,
      state: "rejected",
      lastError: { ...event.error, at },
      history: [
        { state: "queued", at, event: "created" },
        { state: "rejected", at, event: "over-refund", note: "OVER_REFUND" },
      ],
      version: 2,
    });
  });

  it("nothing is left when the reservations already exceed the order amount", () => {
    const event = overRefundEvent(request, { orderAmount: "10", reserved: "12.5" });
    expect(event.error.message).toMatch(
      /order amount 10, already refunded or in flight 12.5, left 0$/,
    );
  });

  it("only a record nobody has written yet can be refused for over-refund", () => {
    const written = recordIn("queued", { version: 3 });
    const result = applyRefundEvent(written, EVENTS["over-refund"], T0);
    expect(result).toMatchObject({ changed: false, reason: "not a new refund (queued)" });
  });
});
