/**
 * The store's Lua scripts against their files, without Redis: every `.lua` file has one
 * wrapper, every script loads with its includes, and each wrapper passes exactly the keys
 * its file name promises (`verbNoun-<numberOfKeys>.lua`) and at least the ARGV the script
 * reads.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRefundRequest } from "../../src/domain/refund-request.js";
import {
  applyRefundEvent,
  createRefundRecord,
  FINAL_STATES,
} from "../../src/domain/refund-state.js";
import { refundKeys } from "../../src/store/keys.js";
import { loadLuaSource, LUA_DIR, LuaScript } from "../../src/store/lua-script.js";
import {
  createFinalScript,
  createReservedScript,
  dropIfSettledScript,
  LUA_SCRIPTS,
  rateLimitScript,
  releaseLockScript,
  claimShardScript,
  readClockScript,
  readRecordClockScript,
  readTimeScript,
  transitionScript,
  recordAttentionScript,
} from "../../src/store/scripts.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const keys = refundKeys("{t}");
const request = parseRefundRequest({ refundRequestId: "r-1", prepayId: "42", refundAmount: "1" });
const queued = createRefundRecord(request, T0, "b-1");
const started = applyRefundEvent(
  queued,
  { type: "submit-started", attempt: 1, leaseOwner: "w", leaseUntilMs: T0 + 1000 },
  T0,
);
if (!started.changed) throw new Error("fixture");

/** Each script's KEYS and ARGV for a representative input. */
const SAMPLE_ARGS: Record<string, string[]> = {
  [createReservedScript.file]: createReservedScript.args({
    keys,
    eventsMaxLen: 10,
    items: [queued, createRefundRecord({ ...request, refundRequestId: "r-2" }, T0, "b-1")].map(
      (record) => ({
        record,
        fingerprint: "fp",
        reserveUnits: 1_000_000n,
        orderAmountUnits: undefined,
        reservationField: "reserved",
        reconcileAtMs: T0,
      }),
    ),
  }),
  [createFinalScript.file]: createFinalScript.args({
    keys,
    eventsMaxLen: 10,
    record: queued,
    fingerprint: "fp",
  }),
  [transitionScript.file]: transitionScript.args({
    keys,
    eventsMaxLen: 10,
    previous: queued,
    next: started.record,
    releaseReservation: false,
    reconcileAtMs: null,
  }),
  [recordAttentionScript.file]: recordAttentionScript.args({
    keys,
    eventsMaxLen: 10,
    previous: queued,
    next: started.record,
    reReserveUnits: 1_000_000n,
    reservationField: "reserved",
  }),
  [dropIfSettledScript.file]: dropIfSettledScript.args({
    keys,
    refundRequestId: "r-1",
    finalStates: FINAL_STATES,
  }),
  [rateLimitScript.file]: rateLimitScript.args({ key: keys.rateLimit, intervalMs: 125, burst: 1 }),
  [releaseLockScript.file]: releaseLockScript.args({ key: keys.reconcilerLock, owner: "w" }),
  [claimShardScript.file]: claimShardScript.args({ key: keys.shardOf("r-1"), shard: 2 }),
  [readTimeScript.file]: readTimeScript.args({ key: keys.inflight }),
  [readClockScript.file]: readClockScript.args({ key: keys.inflight }),
  [readRecordClockScript.file]: readRecordClockScript.args({ recordKey: keys.record("R1") }),
};

function maxIndex(source: string, table: "KEYS" | "ARGV"): number {
  const indexes = [...source.matchAll(new RegExp(`${table}\\[(\\d+)\\]`, "g"))].map((m) =>
    Number(m[1]),
  );
  return Math.max(0, ...indexes);
}

describe("Lua scripts", () => {
  it("every .lua file has exactly one wrapper, under a command name of its own", () => {
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith(".lua"));
    expect(LUA_SCRIPTS.map((s) => s.file).sort()).toEqual(files.sort());
    expect(Object.keys(SAMPLE_ARGS).sort()).toEqual(files.sort());
    const commands = LUA_SCRIPTS.map((s) => s.command);
    expect(new Set(commands).size).toBe(commands.length);
    for (const c of commands) expect(c).toMatch(/^gpr[A-Z][A-Za-z]+$/);
  });

  it.each(LUA_SCRIPTS.map((s) => [s.file, s] as const))(
    "%s loads, with its includes spliced in",
    (_file, script) => {
      const source = script.source;
      expect(source).not.toMatch(/@include/);
      expect(source).toMatch(/redis\.call/);
      if (source.includes("emitEvent(")) expect(source).toMatch(/local function emitEvent\(/);
    },
  );

  it.each(LUA_SCRIPTS.map((s) => [s.file, s] as const))(
    "%s: the wrapper passes the keys its name promises and the ARGV it reads",
    (file, script) => {
      const args = SAMPLE_ARGS[file]!;
      for (const arg of args) expect(typeof arg).toBe("string");
      const named = /-(\d+|n)\.lua$/.exec(file)![1]!;
      if (named === "n") {
        // Variadic: the key count goes first, and KEYS past the fixed ones are computed.
        expect(script.numberOfKeys).toBeUndefined();
        expect(Number(args[0])).toBeGreaterThanOrEqual(maxIndex(script.source, "KEYS"));
        expect(args.length - 1 - Number(args[0])).toBeGreaterThanOrEqual(
          maxIndex(script.source, "ARGV"),
        );
        return;
      }
      const numberOfKeys = Number(named);
      expect(script.numberOfKeys).toBe(numberOfKeys);
      expect(maxIndex(script.source, "KEYS")).toBe(numberOfKeys);
      expect(args.length - numberOfKeys).toBeGreaterThanOrEqual(maxIndex(script.source, "ARGV"));
    },
  );

  it("fixed-arity scripts get exactly the ARGV they read (no stray or missing field)", () => {
    for (const script of LUA_SCRIPTS) {
      if (script === dropIfSettledScript) continue; // variadic: the final states follow the id
      if (script.numberOfKeys === undefined) continue; // checked below
      const args = SAMPLE_ARGS[script.file]!;
      expect(args.length - script.numberOfKeys, script.file).toBe(maxIndex(script.source, "ARGV"));
    }
  });

  it("the create script gets 3 keys and 5 ARGV, then 2 keys and 8 ARGV per refund", () => {
    const args = SAMPLE_ARGS[createReservedScript.file]!;
    expect(args[0]).toBe("7");
    expect(args.slice(1, 8)).toEqual([
      keys.events,
      keys.inflight,
      keys.batch("b-1"),
      keys.record("r-1"),
      keys.order("42"),
      keys.record("r-2"),
      keys.order("42"),
    ]);
    expect(args.length - 8).toBe(5 + 8 * 2);
    expect(createReservedScript.source).toMatch(/local a = 5 \+ 8 \* \(i - 1\)/);
    expect(createReservedScript.source).toMatch(/ARGV\[a \+ 8\]/);
    expect(createReservedScript.source).not.toMatch(/ARGV\[a \+ (9|\d\d)\]/);
  });

  it("refuses a wrapper that passes the wrong number of keys, and a badly named file", () => {
    const wrong = new LuaScript<null, unknown>(
      "releaseLock-1.lua",
      () => ({ keys: ["a", "b"], argv: [] }),
      (raw) => raw,
    );
    expect(() => wrong.args(null)).toThrow("releaseLock-1.lua takes 1 keys, was given 2");
    expect(
      () =>
        new LuaScript(
          "release-lock.lua",
          () => ({ keys: [], argv: [] }),
          (raw) => raw,
        ),
    ).toThrow(/verbNoun-<numberOfKeys>\.lua/);
  });

  it("a missing script file fails loudly", () => {
    expect(() => loadLuaSource("no-such-script-0.lua")).toThrow(/ENOENT/);
  });
});
