/**
 * Keeps the simulation honest: the simulated store (test/simulation/sim-store.ts) and the
 * real one (src/store/refund-store.ts on the real Redis, its Lua scripts) are driven
 * through the same seeded sequence of operations — creates (some over the order amount,
 * some repeated), transitions on fresh and on stale copies (compare-and-set), events that
 * release the reservation — and must agree on every outcome, every record and every
 * order's reservation. Without a failover the simulated store's write-id compare and the
 * real store's version-and-write-id compare accept and refuse the same writes. The real
 * record carries its write id (`writeId`); the simulated one keeps it beside the record,
 * so records are compared without it.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { RefundRecord, RefundRequestFields } from "../../src/domain/refund-record.js";
import { applyRefundEvent, type RefundEvent } from "../../src/domain/refund-state.js";
import { amountOfUnits } from "../../src/store/record-codec.js";
import { RefundStore } from "../../src/store/refund-store.js";
import { Rng } from "../simulation/rng.js";
import { SimStore, type Stored } from "../simulation/sim-store.js";
import { connect, usePrefix } from "../helpers/redis.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const redis = connect();
afterAll(async () => {
  await redis.quit();
});

function randomEvent(rng: Rng, clockMs: number): RefundEvent {
  const answer = {
    source: "details",
    at: new Date(clockMs).toISOString(),
    status: "PROCESSING",
  } as const;
  const error = { code: "X", message: "simulated" };
  const ongoing: RefundEvent[] = [
    {
      type: "submit-started",
      attempt: rng.int(1, 3),
      leaseOwner: `w${rng.int(1, 3)}`,
      leaseUntilMs: clockMs + 2000,
    },
    { type: "submit-deferred", mayExist: rng.chance(0.5), error },
    { type: "not-found", confirmed: rng.chance(0.5), atMs: clockMs },
    { type: "accepted", answer, deadlineAtMs: clockMs + 60_000 },
    { type: "in-progress", answer },
    { type: "redriven" },
  ];
  if (rng.chance(0.8)) return rng.pick(ongoing);
  // Final ones (the reservation is released by failed and rejected), and a replay.
  return rng.pick<RefundEvent>([
    { type: "succeeded", answer: { ...answer, status: "SUCCESS" } },
    { type: "failed", answer: { ...answer, status: "FAIL" }, error },
    { type: "rejected", error },
    { type: "dead", error },
    { type: "replayed", deadlineAtMs: clockMs + 60_000 },
  ]);
}

describe("the simulated store agrees with the real store", () => {
  it.each([1, 2, 3])("on the same seeded sequence of operations (seed %i)", async (seed) => {
    const rng = new Rng(seed);
    const clock = { ms: T0 };
    const real = new RefundStore(redis, usePrefix(redis, `sim-agree-${seed}`), {
      now: () => clock.ms,
    });
    const sim = new SimStore(() => clock.ms);
    const ids = Array.from({ length: 12 }, (_, i) => `R${i}`);
    const requestOf = (id: string, amount: string): RefundRequestFields => ({
      kind: "order",
      refundRequestId: id,
      prepayId: `P${Number(id.slice(1)) % 2}`,
      refundAmount: amount,
      orderAmount: "10",
    });
    /** Copies read at the same moment from both stores, oldest first: stale ones lose the CAS. */
    const copies = new Map<string, { real: RefundRecord; sim: Stored }[]>();
    const withoutWriteId = (r: RefundRecord | null) => {
      if (!r) return r;
      const { writeId: _writeId, ...rest } = r;
      return rest;
    };
    const remember = (id: string, r: RefundRecord | null, s: Stored | null) => {
      expect(s?.rec ?? null).toEqual(withoutWriteId(r));
      if (r && s) copies.set(id, [...(copies.get(id) ?? []), { real: r, sim: s }]);
    };
    let applied = 0;
    let refused = 0;
    let conflicts = 0;

    for (let step = 0; step < 400; step++) {
      clock.ms += rng.int(0, 500);
      const id = rng.pick(ids);
      const known = copies.get(id);
      if (!known || rng.chance(0.08)) {
        const request = requestOf(id, rng.pick(["1.5", "2", "3.25", "4", "6.000001"]));
        const r = await real.create(request);
        const s = sim.create(request, clock.ms);
        expect(s.outcome, `create ${id}`).toBe(r.outcome);
        expect(s.stored.rec).toEqual(withoutWriteId(r.record));
        remember(id, await real.get(id), sim.get(id));
        continue;
      }
      // Mostly the latest copy; sometimes a stale one, which must lose in both stores.
      const copy = rng.chance(0.7) ? known[known.length - 1]! : rng.pick(known);
      const event = randomEvent(rng, clock.ms);
      const t = await real.transition(id, event, copy.real, { retryOnConflict: false });
      const next = applyRefundEvent(copy.sim.rec, event, clock.ms);
      const written = next.changed ? sim.cas(copy.sim, next.record, next.attention) : null;
      expect(written !== null, `${event.type} on ${id} v${copy.real.version}`).toBe(t.applied);
      if (t.applied) applied++;
      else refused++;
      if (!t.applied && t.reason === "conflict") conflicts++;
      remember(id, await real.get(id), sim.get(id));
      for (const p of ["P0", "P1"]) {
        const mine = sim.reservation(p);
        const theirs = await real.orderReservation(p);
        expect(amountOfUnits(mine.reserved), `reserved on ${p}`).toBe(theirs.reserved);
        if (mine.capUnits !== undefined)
          expect(amountOfUnits(mine.capUnits)).toBe(theirs.orderAmount);
      }
    }
    // The sequence exercised both sides of the compare-and-set.
    expect(applied).toBeGreaterThan(15);
    expect(refused).toBeGreaterThan(15);
    expect(conflicts).toBeGreaterThan(3);
  });
});
