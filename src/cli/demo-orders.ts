/**
 * Paid orders for a sandbox started from the CLI (`sandbox --seed-orders N`, the demo).
 */
import type { SeedOrder } from "../sandbox/seed-order.js";

/** First demo prepayId. 19 digits, past 2^53, like real GatePay ids (gatepay-api.md §4.1). */
export const DEMO_FIRST_PREPAY_ID = 9_000_000_000_000_000_001n;

/** Amount of every demo order, in {@link DEMO_ORDER_CURRENCY}. */
export const DEMO_ORDER_AMOUNT = "100.00";

/** Currency of every demo order. */
export const DEMO_ORDER_CURRENCY = "USDT";

/**
 * `count` paid direct-payment orders of 100.00 USDT with prepayIds
 * `9000000000000000001`, `9000000000000000002`, … (strings: they exceed 2^53).
 */
export function demoOrders(count: number): SeedOrder[] {
  return Array.from({ length: count }, (_, i) => ({
    prepayId: String(DEMO_FIRST_PREPAY_ID + BigInt(i)),
    amount: DEMO_ORDER_AMOUNT,
    currency: DEMO_ORDER_CURRENCY,
    kind: "order",
  }));
}
