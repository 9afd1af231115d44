import { describe, expect, it } from "vitest";
import {
  FaultConfigBody,
  FaultScriptBody,
  parseAdminBody,
  parseSeedOrders,
  SettingsBody,
  SettleBody,
} from "../../src/sandbox/admin-schemas.js";

const ORDER = { prepayId: "1", amount: "10", currency: "USDT", kind: "order" } as const;

describe("sandbox admin bodies (zod): a bad body is refused with the field named", () => {
  it("orders: one, a list, or { orders: [...] }; every entry checked", () => {
    expect(parseSeedOrders(ORDER)).toEqual([ORDER]);
    expect(parseSeedOrders([ORDER, { ...ORDER, prepayId: "2" }])).toHaveLength(2);
    expect(parseSeedOrders({ orders: [ORDER] })).toEqual([ORDER]);
    // Unknown keys are dropped; kind may be absent or null (a direct-payment order).
    expect(parseSeedOrders({ ...ORDER, kind: null, extra: 1 })).toEqual([{ ...ORDER, kind: null }]);
    expect(() => parseSeedOrders([ORDER, { prepayId: "5", amount: 5 }])).toThrow(
      new RangeError("orders[1].amount: must be a string; orders[1].currency: is required"),
    );
    expect(() => parseSeedOrders({ orders: "x" })).toThrow("orders: must be a list of orders");
    expect(() => parseSeedOrders({ ...ORDER, kind: "cash" })).toThrow(
      "kind: must be one of order, convert",
    );
    expect(() => parseSeedOrders(7)).toThrow("body: must be a JSON object");
  });

  it("faults: known operations and fault keys only, ratios 0-1, delays ≥ 0", () => {
    expect(parseAdminBody(FaultConfigBody, { orderRefund: { http500: 0.5 } })).toEqual({
      orderRefund: { http500: 0.5 },
    });
    expect(() => parseAdminBody(FaultConfigBody, { orderRefund: { http500: 2 } })).toThrow(
      "orderRefund.http500: must be a ratio from 0 to 1",
    );
    expect(() => parseAdminBody(FaultConfigBody, { default: { latencyMs: -1 } })).toThrow(
      "default.latencyMs: must be a finite number ≥ 0",
    );
    expect(() => parseAdminBody(FaultConfigBody, { default: { typo: 1 } })).toThrow(
      "default.typo: unknown fault",
    );
    expect(() => parseAdminBody(FaultConfigBody, { everything: {} })).toThrow(
      /^everything: unknown operation \(expected default, orderRefund/,
    );
  });

  it("fault scripts: an operation and a list of actions", () => {
    expect(
      parseAdminBody(FaultScriptBody, { operation: "orderRefund", actions: ["http500"] }),
    ).toEqual({ operation: "orderRefund", actions: ["http500"] });
    expect(() =>
      parseAdminBody(FaultScriptBody, { operation: "orderRefund", actions: ["boom"] }),
    ).toThrow(/^actions\[0\]: must be one of none, http500/);
    expect(() => parseAdminBody(FaultScriptBody, { actions: [] })).toThrow(
      /^operation: must be one of orderRefund/,
    );
  });

  it("settle and config: optional fields, each checked when present", () => {
    expect(parseAdminBody(SettleBody, {})).toEqual({});
    expect(() => parseAdminBody(SettleBody, { status: "maybe" })).toThrow(
      "status: must be one of SUCCESS, FAIL",
    );
    expect(() => parseAdminBody(SettleBody, [1])).toThrow("body: must be a JSON object");
    // Absent keys stay absent: a settings merge must not see `webhookUrl: undefined`.
    const settings = parseAdminBody(SettingsBody, { failureRatio: 0.1 });
    expect(settings).toEqual({ failureRatio: 0.1 });
    expect("webhookUrl" in settings).toBe(false);
    expect(() => parseAdminBody(SettingsBody, { duplicateMode: "maybe", failureRatio: 2 })).toThrow(
      "duplicateMode: must be one of idempotent, duplicate, reject; " +
        "failureRatio: must be a ratio from 0 to 1",
    );
  });
});
