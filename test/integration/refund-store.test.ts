/**
 * The refund store against the real Redis: every test works under its own hash-tagged
 * prefix (kept for inspection when the test fails).
 */
import { afterAll, describe, expect, it } from "vitest";
import type { RefundRecord, RefundRequestFields } from "../../src/domain/refund-record.js";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import type { RefundEvent, RefundState } from "../../src/domain/refund-state.js";
import { RefundStore } from "../../src/store/refund-store.js";
import { clockedStore, type ClockedStore } from "../helpers/clocked-store.js";
import { connect, usePrefix } from "../helpers/redis.js";

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

function order(
  id: string,
  refundAmount: string,
  extra: Record<string, string> = {},
): RefundRequestFields {
  return parseRefundRequest({ refundRequestId: id, prepayId: PREPAY, refundAmount, ...extra });
}

const answer = { source: "details", at: new Date(T0).toISOString(), status: "PROCESSING" } as const;
const EV = {
  started: {
    type: "submit-started",
    attempt: 1,
    leaseOwner: "w-1",
    leaseUntilMs: T0 + 30_000,
  },
  accepted: { type: "accepted", answer, deadlineAtMs: T0 + 3_600_000 },
  inProgress: { type: "in-progress", answer },
  succeeded: { type: "succeeded", answer: { ...answer, status: "SUCCESS" } },
  failed: { type: "failed", answer: { ...answer, status: "FAIL" } },
  rejected: { type: "rejected", error: { code: "400608", message: "exceeds order" } },
  dead: { type: "dead", error: { code: "300000", message: "attempts exhausted" } },
  stuck: { type: "stuck", error: { code: "POLL_DEADLINE", message: "no final status" } },
  replayed: { type: "replayed" },
  redriven: { type: "redriven" },
} satisfies Record<string, RefundEvent>;

/** Applies events in order, each of which must apply; returns the last record. */
async function drive(
  store: RefundStore,
  id: string,
  ...events: RefundEvent[]
): Promise<RefundRecord> {
  let record = await store.get(id);
  for (const event of events) {
    const out = await store.transition(id, event);
    if (!out.applied) throw new Error(`${event.type} did not apply to ${id}: ${out.reason}`);
    record = out.record;
  }
  return record!;
}

type StreamEntry = Record<string, string>;

async function streamEntries(store: RefundStore): Promise<StreamEntry[]> {
  const raw = await redis.xrange(store.keys.events, "-", "+");
  return raw.map(([, fields]) => {
    const entry: StreamEntry = {};
    for (let i = 0; i < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
    return entry;
  });
}

async function inflightScore(store: RefundStore, id: string): Promise<number | null> {
  const score = await redis.zscore(store.keys.inflight, id);
  return score === null ? null : Number(score);
}

async function reserved(store: RefundStore): Promise<string> {
  return (await store.orderReservation(PREPAY)).reserved;
}

describe("create", () => {
  it("stores a queued record that get() returns, indexed in flight, with one event", async () => {
    const { store } = newStore("create");
    const request = order("r-1", "12.50", { refundReason: "damaged" });
    const out = await store.create(request);
    expect(out.outcome).toBe("created");
    const stored = await store.get("r-1");
    expect(stored).toEqual(out.record);
    expect(stored).toMatchObject({
      refundRequestId: "r-1",
      kind: "order",
      request,
      state: "queued",
      attempts: 0,
      version: 1,
      createdAt: new Date(T0).toISOString(),
      submit: { mayExist: false, generation: 0 },
      history: [{ state: "queued", at: new Date(T0).toISOString(), event: "created" }],
    });
    expect(stored).not.toHaveProperty("batchId");
    expect(await inflightScore(store, "r-1")).toBe(T0 + STALL_MS);
    expect(await reserved(store)).toBe("12.5");
    expect(await streamEntries(store)).toEqual([
      {
        refundRequestId: "r-1",
        state: "queued",
        from: "",
        event: "created",
        at: new Date(T0).toISOString(),
        batchId: "",
        version: "1",
        note: "",
      },
    ]);
    expect(await store.get("r-2")).toBeNull();
    expect(await store.getMany(["r-1", "r-2"])).toEqual([stored, null]);
    expect(await store.getMany([])).toEqual([]);
  });

  it("puts every key it writes under the prefix (one hash tag, one cluster slot)", async () => {
    const { store } = newStore("keys");
    await store.create(order("r-1", "1", { orderAmount: "1" }), "b-1");
    await store.create(order("r-2", "1"), "b-1");
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(
        cursor,
        "MATCH",
        `${store.keys.prefix}*`,
        "COUNT",
        1000,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    expect(keys.sort()).toEqual(
      [
        store.keys.record("r-1"),
        store.keys.record("r-2"),
        store.keys.order(PREPAY),
        store.keys.batch("b-1"),
        store.keys.events,
        store.keys.inflight,
      ].sort(),
    );
    expect(store.keys.prefix).toMatch(/^\{[^}]+\}$/);
  });

  it("the same request again is `existing` and changes nothing", async () => {
    const { store } = newStore("existing");
    const first = await store.create(order("r-1", "10", { orderAmount: "100" }));
    // Same money asked of GatePay: "10.00" is "10"; orderAmount is not part of the request.
    const again = await store.create(order("r-1", "10.00", { orderAmount: "50" }));
    expect(again).toEqual({ outcome: "existing", record: first.record });
    expect((await store.get("r-1"))?.version).toBe(1);
    expect(await streamEntries(store)).toHaveLength(1);
    // A caller's orderAmount never becomes the order's cap (only GatePay's answer does).
    expect(await store.orderReservation(PREPAY)).toEqual({ reserved: "10" });
  });

  it("`existing` returns the record as it is now, not as created", async () => {
    const { store } = newStore("existing-now");
    await store.create(order("r-1", "10"));
    await drive(store, "r-1", EV.started, EV.accepted);
    const again = await store.create(order("r-1", "10"));
    expect(again.outcome).toBe("existing");
    expect(again.record).toMatchObject({ state: "accepted", version: 3 });
  });

  it("a different request with the same id is a conflict and changes nothing", async () => {
    const { store } = newStore("conflict");
    const first = await store.create(order("r-1", "10"));
    for (const other of [
      order("r-1", "11"),
      order("r-1", "10", { refundReason: "other" }),
      parseRefundRequest({ refundRequestId: "r-1", prepayId: "42", refundAmount: "10" }),
    ]) {
      const out = await store.create(other);
      expect(out).toEqual({ outcome: "conflict", record: first.record });
    }
    expect(await store.get("r-1")).toEqual(first.record);
    expect(await streamEntries(store)).toHaveLength(1);
    expect(await reserved(store)).toBe("10");
  });

  const convert = (id: string, currency: string, amount: string) =>
    parseRefundRequest({
      kind: "convert",
      refundRequestId: id,
      prepayId: PREPAY,
      refundOrderCurrency: currency,
      refundOrderAmount: amount,
      refundPayCurrency: "BTC",
      refundPayAmount: "0.0005",
      receiverId: "10002",
    });

  it("a convert refund reserves in its own currency, capped with the order's when they match", async () => {
    const { store } = newStore("convert");
    await store.learnOrderAmount(PREPAY, "31", "usdt");
    expect((await store.create(convert("c-1", "USDT", "30.5"))).outcome).toBe("created");
    const order_ = await redis.hgetall(store.keys.order(PREPAY));
    expect(order_).toMatchObject({
      "reserved:USDT": "30500000",
      ccy: "USDT",
      "rb:c-1": "reserved:USDT",
    });
    // Order refunds (order currency) and USDT convert refunds share the USDT cap.
    expect((await store.create(order("r-2", "0.6"))).outcome).toBe("over-refund");
    expect((await store.create(order("r-3", "0.5"))).outcome).toBe("created");
    expect((await store.create(convert("c-2", "USDT", "0.0001"))).outcome).toBe("over-refund");
    // Released into its own currency's counter.
    await drive(store, "c-1", EV.started, EV.rejected);
    expect(await redis.hget(store.keys.order(PREPAY), "reserved:USDT")).toBe("0");
    expect(await redis.hexists(store.keys.order(PREPAY), "rb:c-1")).toBe(0);
  });

  it("never adds amounts of different currencies", async () => {
    const { store } = newStore("convert-ccy");
    await store.learnOrderAmount(PREPAY, "100", "USDT");
    expect((await store.create(order("r-1", "90"))).outcome).toBe("created");
    // 50 BTC is not 50 USDT: counted apart, not against the USDT cap.
    expect((await store.create(convert("c-1", "BTC", "50"))).outcome).toBe("created");
    expect(await redis.hmget(store.keys.order(PREPAY), "reserved", "reserved:BTC")).toEqual([
      "90000000",
      "50000000",
    ]);
    expect((await store.create(order("r-2", "10"))).outcome).toBe("created");
    expect((await store.create(order("r-3", "0.0001"))).outcome).toBe("over-refund");
  });
});

describe("over-refund guard", () => {
  it("refuses a refund past the order amount: stored rejected with OVER_REFUND, nothing reserved", async () => {
    const { store } = newStore("over");
    await store.learnOrderAmount(PREPAY, "100");
    expect((await store.create(order("r-1", "60", { orderAmount: "100" }))).outcome).toBe(
      "created",
    );
    const out = await store.create(order("r-2", "50", { orderAmount: "100" }));
    expect(out.outcome).toBe("over-refund");
    const stored = await store.get("r-2");
    expect(stored).toEqual(out.record);
    expect(stored).toMatchObject({ state: "rejected", lastError: { code: "OVER_REFUND" } });
    expect(stored!.lastError!.message).toBe(
      `refund of 50 exceeds what is left of order ${PREPAY}: ` +
        "order amount 100, already refunded or in flight 60, left 40",
    );
    expect(stored!.history.map((h) => [h.state, h.event])).toEqual([
      ["queued", "created"],
      ["rejected", "over-refund"],
    ]);
    expect(await store.orderReservation(PREPAY)).toEqual({ orderAmount: "100", reserved: "60" });
    expect(await inflightScore(store, "r-2")).toBeNull();
    // Built by the state machine (created, then the over-refund event): the stored
    // version is the record's own.
    expect(await redis.hget(store.keys.record("r-2"), "v")).toBe(String(stored!.version));
    const events = await streamEntries(store);
    expect(events.at(-1)).toMatchObject({
      refundRequestId: "r-2",
      state: "rejected",
      from: "",
      event: "created",
      note: "OVER_REFUND",
    });
    // The id stays taken: the same request is `existing`, a smaller one a conflict.
    expect(await store.create(order("r-2", "50"))).toEqual({ outcome: "existing", record: stored });
    expect((await store.create(order("r-2", "40"))).outcome).toBe("conflict");
    // Up to the order amount exactly still fits.
    expect((await store.create(order("r-3", "40"))).outcome).toBe("created");
    expect(await reserved(store)).toBe("100");
    expect((await store.create(order("r-4", "0.0001"))).outcome).toBe("over-refund");
  });

  it("a terminal over-refund record ignores every later event", async () => {
    const { store } = newStore("over-terminal");
    await store.create(order("r-1", "10", { orderAmount: "5" }));
    const out = await store.transition("r-1", EV.started);
    expect(out).toMatchObject({ applied: false, reason: "terminal state rejected" });
  });

  it("compares exactly at 6 decimals", async () => {
    const { store } = newStore("over-decimals");
    await store.learnOrderAmount(PREPAY, "1.0001");
    await store.create(order("r-1", "0.333333"));
    await store.create(order("r-2", "0.333333"));
    await store.create(order("r-3", "0.333333"));
    expect(await reserved(store)).toBe("0.999999");
    expect((await store.create(order("r-4", "0.000102"))).outcome).toBe("over-refund");
    expect((await store.create(order("r-5", "0.000101"))).outcome).toBe("created");
    expect(await reserved(store)).toBe("1.0001");
  });

  it.each([
    ["rejected", [EV.started, EV.rejected]],
    ["failed", [EV.started, EV.accepted, EV.failed]],
  ] as const)("%s releases the reservation so a later refund fits", async (state, events) => {
    const { store } = newStore(`release-${state}`);
    await store.learnOrderAmount(PREPAY, "100");
    await store.create(order("r-1", "60"));
    expect((await drive(store, "r-1", ...events)).state).toBe(state);
    expect(await reserved(store)).toBe("0");
    expect((await store.create(order("r-2", "50"))).outcome).toBe("created");
    expect((await store.create(order("r-3", "50"))).outcome).toBe("created");
    expect(await reserved(store)).toBe("100");
  });

  it.each([
    ["succeeded", [EV.started, EV.accepted, EV.succeeded]],
    ["dead", [EV.started, EV.dead]],
    ["stuck", [EV.started, EV.accepted, EV.stuck]],
  ] as const)("%s keeps the reservation (money moved or may have)", async (state, events) => {
    const { store } = newStore(`keep-${state}`);
    await store.learnOrderAmount(PREPAY, "100");
    await store.create(order("r-1", "60"));
    expect((await drive(store, "r-1", ...events)).state).toBe(state);
    expect(await reserved(store)).toBe("60");
    expect((await store.create(order("r-2", "50"))).outcome).toBe("over-refund");
  });

  it("without a known order amount nothing is capped; learnOrderAmount caps later refunds", async () => {
    const { store } = newStore("learn");
    expect((await store.create(order("r-1", "30"))).outcome).toBe("created");
    expect((await store.create(order("r-2", "5000000"))).outcome).toBe("created");
    expect(await store.orderReservation(PREPAY)).toEqual({ reserved: "5000030" });
    await drive(store, "r-2", EV.started, EV.rejected);
    await store.learnOrderAmount(PREPAY, "100.00000000");
    expect(await store.orderReservation(PREPAY)).toEqual({ orderAmount: "100", reserved: "30" });
    expect((await store.create(order("r-3", "70.000001"))).outcome).toBe("over-refund");
    expect((await store.create(order("r-4", "70"))).outcome).toBe("created");
  });

  it("a caller's orderAmount checks its own request only and never becomes the order's cap", async () => {
    const { store } = newStore("learn-wins");
    await store.create(order("r-1", "10", { orderAmount: "20" }));
    // A wrong small orderAmount refuses that request only…
    expect((await store.create(order("r-2", "5", { orderAmount: "1" }))).outcome).toBe(
      "over-refund",
    );
    // …and blocks nothing after it: no cap is stored until GatePay tells the amount.
    expect(await store.orderReservation(PREPAY)).toEqual({ reserved: "10" });
    expect((await store.create(order("r-5", "500"))).outcome).toBe("created");
    await drive(store, "r-5", EV.started, EV.rejected);
    await store.learnOrderAmount(PREPAY, "12");
    expect((await store.create(order("r-3", "3", { orderAmount: "1000" }))).outcome).toBe(
      "over-refund",
    );
    expect((await store.create(order("r-4", "1"))).outcome).toBe("created");
  });

  it("floors an order amount with more than 6 decimals (a conservative cap)", async () => {
    const { store } = newStore("learn-floor");
    await store.learnOrderAmount(PREPAY, "1.0000009");
    expect((await store.orderReservation(PREPAY)).orderAmount).toBe("1");
    expect((await store.create(order("r-1", "1.000001"))).outcome).toBe("over-refund");
  });

  it("50 concurrent refunds of 10 against an order of 100: exactly 10 are created", async () => {
    const { store } = newStore("concurrent-create");
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.create(order(`c-${i}`, "10", { orderAmount: "100" }), "b-1"),
      ),
    );
    const created = outcomes.filter((o) => o.outcome === "created");
    const over = outcomes.filter((o) => o.outcome === "over-refund");
    expect(created).toHaveLength(10);
    expect(over).toHaveLength(40);
    expect(await reserved(store)).toBe("100");
    expect(await redis.zcard(store.keys.inflight)).toBe(10);
    expect(await store.batchCounts("b-1")).toEqual({ queued: 10, rejected: 40, total: 50 });
    expect(await streamEntries(store)).toHaveLength(50);
    for (const o of over) {
      expect(await store.get(o.record.refundRequestId)).toMatchObject({
        state: "rejected",
        lastError: { code: "OVER_REFUND" },
      });
    }
  });

  it("concurrent creates of the same id: one creates, the rest see it as existing", async () => {
    const { store } = newStore("concurrent-same");
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => store.create(order("r-1", "10", { orderAmount: "100" }))),
    );
    expect(outcomes.filter((o) => o.outcome === "created")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "existing")).toHaveLength(19);
    expect(await reserved(store)).toBe("10");
    expect(await streamEntries(store)).toHaveLength(1);
  });
});

describe("transition", () => {
  it("writes the new record, bumps the version and returns the previous one", async () => {
    const { store, clock } = newStore("transition");
    const created = (await store.create(order("r-1", "10"))).record;
    clock.ms = T0 + 1234;
    const out = await store.transition("r-1", EV.started);
    expect(out.applied).toBe(true);
    if (!out.applied) return;
    expect(out.previous).toEqual(created);
    expect(out.record).toMatchObject({
      state: "submitting",
      version: 2,
      attempts: 1,
      submit: { mayExist: true, leaseOwner: "w-1", lastSentAtMs: T0 + 1234 },
    });
    expect(await store.get("r-1")).toEqual(out.record);
    expect(await redis.hmget(store.keys.record("r-1"), "v", "st")).toEqual(["2", "submitting"]);
  });

  it("an unknown id is not applied", async () => {
    const { store } = newStore("transition-missing");
    expect(await store.transition("nope", EV.started)).toEqual({
      applied: false,
      record: null,
      reason: "no such refund",
    });
  });

  it("a stale `current` loses the compare-and-set, re-reads and re-decides", async () => {
    const { store } = newStore("transition-stale");
    const stale = (await store.create(order("r-1", "10"))).record;
    await drive(store, "r-1", EV.started, EV.accepted);
    // On the stale (queued) copy `accepted` would apply; on the stored one it does not.
    const refused = await store.transition("r-1", EV.accepted, stale);
    expect(refused).toMatchObject({ applied: false, reason: "already accepted" });
    const applied = await store.transition("r-1", EV.inProgress, stale);
    expect(applied).toMatchObject({ applied: true, record: { state: "processing", version: 4 } });
    expect((await store.get("r-1"))?.history.map((h) => h.state)).toEqual([
      "queued",
      "submitting",
      "accepted",
      "processing",
    ]);
  });

  it("a version reused after lost writes does not match: the write id is compared too", async () => {
    const { store } = newStore("transition-write-id");
    await store.create(order("r-1", "10"));
    const key = store.keys.record("r-1");
    const v1 = await redis.hgetall(key);
    // Writer A moves the refund to submitting (version 2) and keeps its copy.
    const a = await store.transition("r-1", EV.started);
    expect(a).toMatchObject({ applied: true, record: { version: 2 } });
    if (!a.applied) return;
    // A failover loses that write: the record is back at version 1, as the replica had it.
    await redis.del(key);
    await redis.hset(key, v1);
    // Writer B makes a different version 2.
    const b = await store.transition("r-1", EV.rejected);
    expect(b).toMatchObject({ applied: true, record: { state: "rejected", version: 2 } });
    if (!b.applied) return;
    expect(b.record.writeId).not.toBe(a.record.writeId);
    // A, holding its lost version 2, must not write over B's: same number, another write.
    const stale = await store.transition("r-1", EV.accepted, a.record, { retryOnConflict: false });
    expect(stale).toMatchObject({ applied: false, reason: "conflict" });
    expect(await store.get("r-1")).toMatchObject({ state: "rejected", version: 2 });
  });

  it("retryOnConflict: false returns the fresh record instead of re-deciding", async () => {
    const { store } = newStore("transition-no-retry");
    const stale = (await store.create(order("r-1", "10"))).record;
    await drive(store, "r-1", EV.started);
    const out = await store.transition("r-1", EV.started, stale, { retryOnConflict: false });
    expect(out).toMatchObject({ applied: false, reason: "conflict", record: { version: 2 } });
    expect((await store.get("r-1"))?.version).toBe(2);
  });

  it("two different events racing on one record both end consistent", async () => {
    const { store } = newStore("race");
    await store.create(order("r-1", "10"));
    await drive(store, "r-1", EV.started, EV.accepted);
    const [a, b] = await Promise.all([
      store.transition("r-1", EV.inProgress),
      store.transition("r-1", EV.succeeded),
    ]);
    expect(b.applied).toBe(true);
    const final = (await store.get("r-1"))!;
    expect(final.state).toBe("succeeded");
    // in-progress either landed first (processing, then succeeded) or was refused after.
    const states = final.history.map((h) => h.state);
    expect(states).toEqual(
      a.applied
        ? ["queued", "submitting", "accepted", "processing", "succeeded"]
        : ["queued", "submitting", "accepted", "succeeded"],
    );
    expect(final.version).toBe(final.history.length);
    const events = await streamEntries(store);
    expect(events.map((e) => e.state)).toEqual(states);
    expect(events.map((e) => e.version)).toEqual(states.map((_, i) => String(i + 1)));
  });

  it("rejected and dead racing on a submitting record: exactly one applies", async () => {
    const { store } = newStore("race-final");
    await store.create(order("r-1", "10", { orderAmount: "10" }));
    await drive(store, "r-1", EV.started);
    const outs = await Promise.all([
      store.transition("r-1", EV.rejected),
      store.transition("r-1", EV.dead),
    ]);
    expect(outs.filter((o) => o.applied)).toHaveLength(1);
    const final = (await store.get("r-1"))!;
    expect(["rejected", "dead"]).toContain(final.state);
    expect(final.version).toBe(3);
    expect(await reserved(store)).toBe(final.state === "rejected" ? "0" : "10");
    expect(await streamEntries(store)).toHaveLength(3);
  });

  it("20 concurrent re-drives all apply, each on the version before it", async () => {
    const { store } = newStore("race-many");
    await store.create(order("r-1", "10"));
    const outs = await Promise.all(
      Array.from({ length: 20 }, () => store.transition("r-1", EV.redriven)),
    );
    expect(outs.every((o) => o.applied)).toBe(true);
    const final = (await store.get("r-1"))!;
    expect(final).toMatchObject({ state: "queued", version: 21, submit: { generation: 20 } });
    expect(final.history).toHaveLength(21);
    const versions = (await streamEntries(store)).map((e) => Number(e.version));
    expect(versions).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it("a terminal record ignores later events: no write, no event", async () => {
    const { store } = newStore("terminal");
    await store.create(order("r-1", "10"));
    const done = await drive(store, "r-1", EV.started, EV.accepted, EV.succeeded);
    // (A `failed` report contradicts the success: noted as attention, test/integration/attention.test.ts.)
    for (const event of [EV.inProgress, EV.rejected, EV.replayed, EV.stuck]) {
      const out = await store.transition("r-1", event);
      expect(out).toMatchObject({ applied: false, reason: "terminal state succeeded" });
    }
    expect(await store.get("r-1")).toEqual(done);
    expect(await streamEntries(store)).toHaveLength(4);
  });
});

describe("events stream", () => {
  it("gets one entry per applied transition with from, state, event, version and note", async () => {
    const { store, clock } = newStore("stream");
    await store.create(order("r-1", "10"), "b-7");
    clock.ms = T0 + 1000;
    await drive(store, "r-1", EV.started);
    expect((await store.transition("r-1", EV.stuck)).applied).toBe(false);
    clock.ms = T0 + 2000;
    await drive(store, "r-1", EV.accepted, EV.inProgress, EV.failed);
    const at = (ms: number): string => new Date(ms).toISOString();
    expect(await streamEntries(store)).toEqual([
      entry("queued", "", "created", at(T0), "1", ""),
      entry("submitting", "queued", "submit-started", at(T0 + 1000), "2", "attempt 1"),
      entry("accepted", "submitting", "accepted", at(T0 + 2000), "3", "PROCESSING"),
      entry("processing", "accepted", "in-progress", at(T0 + 2000), "4", "PROCESSING"),
      entry("failed", "processing", "failed", at(T0 + 2000), "5", "FAIL"),
    ]);

    function entry(
      state: string,
      from: string,
      event: string,
      when: string,
      version: string,
      note: string,
    ): StreamEntry {
      return {
        refundRequestId: "r-1",
        state,
        from,
        event,
        at: when,
        batchId: "b-7",
        version,
        note,
      };
    }
  });

  it("is capped near eventsMaxLen", async () => {
    const prefix = usePrefix(redis, "stream-cap");
    const store = new RefundStore(redis, prefix, { eventsMaxLen: 10 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.create(order(`r-${i}`, "1"))));
    const length = await redis.xlen(store.keys.events);
    // MAXLEN ~ trims whole macro nodes (100 entries by default), never below the cap.
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(300);
  });
});

describe("batch counters", () => {
  it("follow every transition; the states always sum to the total", async () => {
    const { store } = newStore("batch");
    const check = async (expected: Partial<Record<RefundState, number>>): Promise<void> => {
      const counts = await store.batchCounts("b-1");
      const { total, ...byState } = counts;
      const nonZero = Object.fromEntries(Object.entries(byState).filter(([, n]) => n !== 0));
      expect(nonZero).toEqual(expected);
      expect(Object.values(byState).reduce((s, n) => s + n, 0)).toBe(total);
    };
    for (const id of ["a", "b", "c", "d"])
      await store.create(order(id, "10", { orderAmount: "35" }), "b-1");
    await store.create(order("other", "1"), "b-2");
    await check({ queued: 3, rejected: 1 });
    await drive(store, "a", EV.started);
    await drive(store, "b", EV.started, EV.dead);
    await check({ queued: 1, submitting: 1, dead: 1, rejected: 1 });
    // Events that keep the state (re-drive, a second attempt) leave the counts alone.
    await drive(store, "c", EV.redriven);
    await drive(store, "a", { ...EV.started, attempt: 2 });
    await check({ queued: 1, submitting: 1, dead: 1, rejected: 1 });
    await drive(store, "a", EV.accepted, EV.succeeded);
    await drive(store, "b", EV.replayed);
    await drive(store, "c", EV.started, EV.rejected);
    await check({ queued: 1, succeeded: 1, rejected: 2 });
    expect((await store.batchCounts("b-1")).total).toBe(4);
    expect(await store.batchCounts("b-2")).toEqual({ queued: 1, total: 1 });
    expect(await store.batchCounts("none")).toEqual({});
    expect((await store.get("a"))?.batchId).toBe("b-1");
  });

  it("a refund without a batch touches no batch counters", async () => {
    const { store } = newStore("no-batch");
    await store.create(order("r-1", "10"));
    await drive(store, "r-1", EV.started, EV.dead);
    expect(await redis.exists(store.keys.none)).toBe(0);
  });
});

describe("in-flight index", () => {
  it("holds non-final refunds and drops final ones", async () => {
    const { store, clock } = newStore("inflight");
    for (const id of ["s", "f", "d", "k", "r", "p"]) await store.create(order(id, "1"));
    clock.ms = T0 + 5000;
    await drive(store, "s", EV.started, EV.accepted, EV.succeeded);
    await drive(store, "f", EV.started, EV.accepted, EV.failed);
    await drive(store, "d", EV.started, EV.dead);
    await drive(store, "k", EV.started, EV.accepted, EV.stuck);
    await drive(store, "r", EV.started, EV.rejected);
    await drive(store, "p", EV.started, EV.accepted, EV.inProgress);
    expect(await redis.zrange(store.keys.inflight, 0, -1)).toEqual(["p"]);
    // Every write pushes the look-again time out by the stall window.
    expect(await inflightScore(store, "p")).toBe(T0 + 5000 + STALL_MS);
    // A replay puts a dead or stuck refund back in flight.
    clock.ms = T0 + 9000;
    await drive(store, "d", EV.replayed);
    await drive(store, "k", EV.replayed);
    expect(await inflightScore(store, "d")).toBe(T0 + 9000 + STALL_MS);
    expect(await inflightScore(store, "k")).toBe(T0 + 9000 + STALL_MS);
  });

  it("overdue lists refunds whose look-again time has passed, oldest first, up to the limit", async () => {
    const { store, clock } = newStore("overdue");
    for (let i = 0; i < 5; i++) {
      clock.ms = T0 + i * 1000;
      await store.create(order(`r-${i}`, "1"));
    }
    expect(await store.overdue(T0 + STALL_MS - 1, 10)).toEqual([]);
    expect(await store.overdue(T0 + STALL_MS, 10)).toEqual(["r-0"]);
    expect(await store.overdue(T0 + STALL_MS + 10_000, 10)).toEqual([
      "r-0",
      "r-1",
      "r-2",
      "r-3",
      "r-4",
    ]);
    expect(await store.overdue(T0 + STALL_MS + 10_000, 2)).toEqual(["r-0", "r-1"]);
  });

  it("setDriver notes the job and pushes the look-again time past its due time", async () => {
    const { store } = newStore("driver");
    await store.create(order("r-1", "1"));
    expect(await store.getDriver("r-1")).toBeNull();
    await store.setDriver("r-1", "poll-r-1-3", T0 + 600_000);
    expect(await store.getDriver("r-1")).toBe("poll-r-1-3");
    expect(await inflightScore(store, "r-1")).toBe(T0 + 600_000 + STALL_MS);
    expect(await store.overdue(T0 + STALL_MS, 10)).toEqual([]);
    // The driver note sits beside the record and survives transitions.
    await drive(store, "r-1", EV.started);
    expect(await store.getDriver("r-1")).toBe("poll-r-1-3");
  });

  it("snooze moves the look-again time", async () => {
    const { store } = newStore("snooze");
    await store.create(order("r-1", "1"));
    await store.snooze("r-1", T0 + 5);
    expect(await store.overdue(T0 + 5, 10)).toEqual(["r-1"]);
    await store.snooze("r-1", T0 + 999_999);
    expect(await store.overdue(T0 + 999_998, 10)).toEqual([]);
  });

  it("setDriver and snooze never put a final refund back in flight", async () => {
    const { store } = newStore("driver-final");
    await store.create(order("r-1", "1"));
    await drive(store, "r-1", EV.started, EV.dead);
    await store.setDriver("r-1", "submit-r-1", T0);
    await store.snooze("r-1", T0);
    await store.setDriver("ghost", "submit-ghost", T0);
    expect(await redis.zcard(store.keys.inflight)).toBe(0);
  });
});
