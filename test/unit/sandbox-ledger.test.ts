import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addAmounts, compareAmounts } from "../../src/domain/amount.js";
import {
  SandboxLedger,
  type CreateRefundContext,
  type DuplicateMode,
} from "../../src/sandbox/ledger.js";

const ctx = (mode: DuplicateMode = "duplicate", extra: Partial<CreateRefundContext> = {}) => ({
  mode,
  nowMs: 1_000,
  institution: false,
  ...extra,
});

function ledgerWith() {
  const ledger = new SandboxLedger();
  ledger.seedOrder({
    prepayId: "1991810932510167040",
    amount: "10.5",
    currency: "USDT",
    kind: "order",
  });
  ledger.seedOrder({
    prepayId: "C1",
    amount: "100",
    currency: "USDT",
    kind: "convert",
    payCurrency: "BTC",
    payAmount: "0.001",
  });
  return ledger;
}

const orderRefund = (id: string, amount: string, prepayId = "1991810932510167040") => ({
  refundRequestId: id,
  prepayId,
  refundAmount: amount,
});

describe("SandboxLedger rules", () => {
  it("records a refund and reports order totals as exact strings", () => {
    const ledger = ledgerWith();
    const out = ledger.createRefund("order", orderRefund("r1", "0.1"), ctx());
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.refund).toMatchObject({ refundRequestId: "r1", status: "PROCESSING", sequence: 1 });
    expect(BigInt(out.refund.gateRefundId)).toBeGreaterThan(2n ** 53n);
    expect(ledger.order("1991810932510167040")).toMatchObject({
      refundedAmount: "0.1",
      remainingAmount: "10.4",
      refundCount: 1,
    });
  });

  it("answers 400202 for an unknown order", () => {
    const out = ledgerWith().createRefund("order", orderRefund("r1", "1", "nope"), ctx());
    expect(out).toMatchObject({ ok: false, failure: { code: "400202", label: "ORDER_NOT_FOUND" } });
  });

  it("answers 500206 beyond the remaining amount, counting earlier refunds", () => {
    const ledger = ledgerWith();
    expect(ledger.createRefund("order", orderRefund("a", "10"), ctx()).ok).toBe(true);
    const out = ledger.createRefund("order", orderRefund("b", "0.500001"), ctx());
    expect(out).toMatchObject({ ok: false, failure: { code: "500206" } });
    expect(ledger.createRefund("order", orderRefund("c", "0.5"), ctx()).ok).toBe(true);
    expect(ledger.order("1991810932510167040")?.remainingAmount).toBe("0");
  });

  it("answers 400001 for a refundRequestId over 32 characters, and for bad fields", () => {
    const ledger = ledgerWith();
    expect(ledger.createRefund("order", orderRefund("x".repeat(33), "1"), ctx())).toMatchObject({
      ok: false,
      failure: { code: "400001" },
    });
    expect(ledger.createRefund("order", orderRefund("x".repeat(32), "1"), ctx()).ok).toBe(true);
    for (const amount of ["", "1.1234567", "-1", "1e3", "0", "abc"]) {
      expect(ledger.createRefund("order", orderRefund("y", amount), ctx())).toMatchObject({
        ok: false,
        failure: { code: "400001" },
      });
    }
    expect(ledger.createRefund("order", null, ctx())).toMatchObject({ ok: false });
    expect(ledger.refunds).toHaveLength(1);
  });

  it("answers 500208 for a convert refund on a direct order and the reverse", () => {
    const ledger = ledgerWith();
    const convert = {
      refundRequestId: "cv",
      prepayId: "1991810932510167040",
      refundOrderCurrency: "USDT",
      refundOrderAmount: "1",
      refundPayCurrency: "BTC",
    };
    expect(ledger.createRefund("convert", convert, ctx())).toMatchObject({
      ok: false,
      failure: { code: "500208" },
    });
    expect(ledger.createRefund("order", orderRefund("or", "1", "C1"), ctx())).toMatchObject({
      ok: false,
      failure: { code: "500208" },
    });
    const ok = ledger.createRefund("convert", { ...convert, prepayId: "C1" }, ctx());
    expect(ok.ok).toBe(true);
    expect(ledger.order("C1")?.remainingAmount).toBe("99");
    expect(
      ledger.createRefund(
        "convert",
        { ...convert, refundRequestId: "cv2", prepayId: "C1", refundPayCurrency: "ETH" },
        ctx(),
      ),
    ).toMatchObject({ ok: false, failure: { code: "500205" } });
  });

  it("duplicate mode: a re-post records a second refund that also takes money", () => {
    const ledger = ledgerWith();
    const first = ledger.createRefund("order", orderRefund("dup", "4"), ctx("duplicate"));
    const second = ledger.createRefund("order", orderRefund("dup", "4"), ctx("duplicate"));
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.replay).toBe(false);
    expect(second.refund.gateRefundId).not.toBe(first.refund.gateRefundId);
    expect(ledger.refundsFor("dup").map((r) => r.sequence)).toEqual([1, 2]);
    expect(ledger.firstRefund("dup")).toBe(first.refund);
    expect(ledger.order("1991810932510167040")?.refundedAmount).toBe("8");
    // A third would exceed the order: the duplicate is subject to the same rules.
    expect(ledger.createRefund("order", orderRefund("dup", "4"), ctx("duplicate"))).toMatchObject({
      ok: false,
      failure: { code: "500206" },
    });
  });

  it("idempotent mode: a re-post returns the original and records nothing", () => {
    const ledger = ledgerWith();
    const first = ledger.createRefund("order", orderRefund("same", "10.5"), ctx("idempotent"));
    const again = ledger.createRefund("order", orderRefund("same", "10.5"), ctx("idempotent"));
    expect(again).toMatchObject({ ok: true, replay: true });
    if (!first.ok || !again.ok) return;
    expect(again.refund).toBe(first.refund);
    expect(ledger.refundsFor("same")).toHaveLength(1);
    expect(ledger.order("1991810932510167040")?.refundedAmount).toBe("10.5");
  });

  it("reject mode: a re-post is an error and records nothing", () => {
    const ledger = ledgerWith();
    ledger.createRefund("order", orderRefund("rej", "1"), ctx("reject"));
    expect(ledger.createRefund("order", orderRefund("rej", "1"), ctx("reject"))).toMatchObject({
      ok: false,
      failure: { code: "400201", label: "DUPLICATE_REFUND_REQUEST_ID" },
    });
    expect(ledger.refundsFor("rej")).toHaveLength(1);
  });

  it("settles once; a failed refund gives its amount back", () => {
    const ledger = ledgerWith();
    const a = ledger.createRefund("order", orderRefund("a", "3"), ctx());
    const b = ledger.createRefund("order", orderRefund("b", "2"), ctx());
    if (!a.ok || !b.ok) throw new Error("setup");
    expect(ledger.settle(a.refund.gateRefundId, { status: "SUCCESS" }, 5)?.status).toBe("SUCCESS");
    expect(
      ledger.settle(a.refund.gateRefundId, { status: "FAIL", reason: "x" }, 6),
    ).toBeUndefined();
    const failed = ledger.settle(b.refund.gateRefundId, { status: "FAIL", reason: "no funds" }, 7);
    expect(failed).toMatchObject({ status: "FAIL", failReason: "no funds", settledAtMs: 7 });
    expect(ledger.order("1991810932510167040")).toMatchObject({
      refundedAmount: "3",
      succeededAmount: "3",
      remainingAmount: "7.5",
      refundCount: 2,
    });
    expect(ledger.pending()).toEqual([]);
  });

  it("records institution and On-Behalf-Of", () => {
    const ledger = ledgerWith();
    const out = ledger.createRefund(
      "order",
      orderRefund("inst", "1"),
      ctx("duplicate", { institution: true, onBehalfOf: "sub-7" }),
    );
    expect(out).toMatchObject({ ok: true, refund: { institution: true, onBehalfOf: "sub-7" } });
  });

  it("seeding: identical re-seed is a no-op, conflicting or invalid seeds throw", () => {
    const ledger = ledgerWith();
    expect(() =>
      ledger.seedOrder({
        prepayId: "C1",
        amount: "100",
        currency: "USDT",
        kind: "convert",
        payCurrency: "BTC",
        payAmount: "0.001",
      }),
    ).not.toThrow();
    expect(() =>
      ledger.seedOrder({ prepayId: "C1", amount: "5", currency: "USDT", kind: "convert" }),
    ).toThrow(RangeError);
    expect(() =>
      ledger.seedOrder({ prepayId: "z", amount: "1.5.2", currency: "USDT", kind: "order" }),
    ).toThrow(/amount/);
    expect(() =>
      ledger.seedOrder({ prepayId: "z", amount: "0", currency: "USDT", kind: "order" }),
    ).toThrow(/positive/);
    expect(ledger.orders).toHaveLength(2);
  });

  it("never lets refunds exceed the order, whatever the sequence (property)", () => {
    const amount = fc
      .tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 999_999 }))
      .filter(([w, f]) => w > 0 || f >= 100)
      .map(([w, f]) =>
        f === 0 ? String(w) : `${w}.${String(f).padStart(6, "0").replace(/0+$/, "")}`,
      );
    fc.assert(
      fc.property(fc.array(fc.tuple(amount, fc.boolean()), { maxLength: 30 }), (steps) => {
        const ledger = new SandboxLedger();
        ledger.seedOrder({ prepayId: "p", amount: "1000", currency: "USDT", kind: "order" });
        let accepted = "0";
        steps.forEach(([a, fail], i) => {
          const out = ledger.createRefund("order", orderRefund(`r${i}`, a, "p"), ctx());
          if (!out.ok) return;
          if (fail) ledger.settle(out.refund.gateRefundId, { status: "FAIL", reason: "x" }, 1);
          else accepted = addAmounts(accepted, a);
        });
        const order = ledger.order("p")!;
        expect(order.refundedAmount).toBe(accepted);
        expect(compareAmounts(order.refundedAmount, "1000")).toBeLessThanOrEqual(0);
        expect(addAmounts(order.refundedAmount, order.remainingAmount)).toBe("1000");
      }),
    );
  });
});
