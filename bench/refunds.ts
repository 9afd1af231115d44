/**
 * Benchmark refunds and the sandbox orders behind them: one paid order per refund, so
 * every refund has its own `prepayId` as in production (one refund per returned order),
 * and the sandbox never refuses one for exceeding what is left of its order.
 */
import type { OrderRefundFields } from "../src/domain/refund-record.js";

/** One refund as a producer receives it (the fields of a batch row). */
export type BenchRefund = Pick<OrderRefundFields, "refundRequestId" | "prepayId" | "refundAmount">;

/** The ClientId and secret the benchmark sandbox accepts. */
export const BENCH_CLIENT_ID = "bench-client";
export const BENCH_SECRET = "bench-secret-3b8e0f2a7c9d4e1f6a5b";

/** Amount of every benchmark refund and of its order (strings end to end). */
const REFUND_AMOUNT = "12.50";
const ORDER_AMOUNT = "100.00";

/**
 * `count` refunds whose ids start with `tag` (letters and digits, ≤ 20 characters, so the
 * ids stay within GatePay's 32).
 */
export function makeRefunds(tag: string, count: number): BenchRefund[] {
  if (!/^[A-Za-z0-9]{1,20}$/.test(tag)) throw new RangeError("tag: 1-20 letters or digits");
  const out: BenchRefund[] = new Array<BenchRefund>(count);
  for (let i = 0; i < count; i++) {
    out[i] = {
      refundRequestId: `${tag}r${i}`,
      prepayId: `${tag}p${i}`,
      refundAmount: REFUND_AMOUNT,
    };
  }
  return out;
}

/** Seeds the orders of `refunds` in the sandbox through its admin route (batches of 2,000). */
export async function seedOrders(
  sandboxUrl: string,
  refunds: readonly BenchRefund[],
): Promise<void> {
  for (let i = 0; i < refunds.length; i += 2_000) {
    const orders = refunds.slice(i, i + 2_000).map((r) => ({
      prepayId: r.prepayId,
      amount: ORDER_AMOUNT,
      currency: "USDT",
      kind: "order",
    }));
    await sandboxAdmin(sandboxUrl, "POST", "/orders", { orders });
  }
}

/** Calls a sandbox admin route and returns its JSON answer. @throws on a non-2xx answer. */
export async function sandboxAdmin(
  sandboxUrl: string,
  method: "GET" | "POST" | "DELETE",
  route: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${sandboxUrl}/__sandbox${route}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`sandbox ${method} ${route}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}
