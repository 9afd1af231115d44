/**
 * Paid orders the sandbox's ledger is seeded with, and their check (used for the
 * `orders` option, `Sandbox.seedOrders` and `POST /__sandbox/orders`).
 */
import { amountToUnits, isAmount, MAX_AMOUNT_DECIMALS } from "../domain/amount.js";

/**
 * How an order was paid: `order` (direct payment, refunded through the order refund
 * endpoint) or `convert` (converted/flash-swap address payment, refunded through
 * refundconvert). Refunding through the other endpoint is 500208 (gatepay-api.md §5.4).
 */
export type OrderKind = "order" | "convert";

/** A paid order to seed the ledger with. */
export interface SeedOrder {
  /** GatePay's order id; any non-empty string (real ones exceed 2^53, keep strings). */
  prepayId: string;
  /** Order amount in `currency`, a decimal string. */
  amount: string;
  /** Order currency, e.g. `"USDT"`. */
  currency: string;
  /** Payment kind. */
  kind: OrderKind;
  /** Convert orders: the currency the payer paid in. */
  payCurrency?: string;
  /** Convert orders: the amount the payer paid, in `payCurrency`. */
  payAmount?: string;
}

const SCALE = MAX_AMOUNT_DECIMALS;

/** Checks a {@link SeedOrder} and returns a clean copy. @throws RangeError */
export function validateSeedOrder(input: unknown): SeedOrder {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new RangeError("an order must be an object");
  }
  const o = input as Record<string, unknown>;
  const str = (key: string): string => {
    const v = o[key];
    if (typeof v !== "string" || v === "")
      throw new RangeError(`order.${key} must be a non-empty string`);
    return v;
  };
  const prepayId = str("prepayId");
  const amount = str("amount");
  if (!isAmount(amount) || amount.startsWith("-") || amountToUnits(amount, SCALE) === 0n) {
    throw new RangeError(`order ${prepayId}: amount must be a positive decimal string`);
  }
  const currency = str("currency");
  const kind = o["kind"] ?? "order";
  if (kind !== "order" && kind !== "convert") {
    throw new RangeError(`order ${prepayId}: kind must be "order" or "convert"`);
  }
  const clean: SeedOrder = { prepayId, amount, currency, kind };
  if (o["payCurrency"] !== undefined) clean.payCurrency = str("payCurrency");
  if (o["payAmount"] !== undefined) {
    const payAmount = str("payAmount");
    if (!isAmount(payAmount) || payAmount.startsWith("-")) {
      throw new RangeError(`order ${prepayId}: payAmount must be a positive decimal string`);
    }
    clean.payAmount = payAmount;
  }
  return clean;
}
