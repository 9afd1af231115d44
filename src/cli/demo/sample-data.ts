/**
 * The demo's world: paid orders for the sandbox and a refund batch over them that shows
 * what the pipeline does — full and partial refunds, convert refunds, refunds GatePay
 * fails after accepting (the sandbox's failure ratio), and an over-refund. The same data
 * backs `examples/` (used by docker-compose), kept in sync by a test.
 */
import type { SeedOrder } from "../../sandbox/seed-order.js";
import { BATCH_COLUMNS } from "../../producer/batch/index.js";
import { csvLine } from "../../csv.js";
import { DEMO_FIRST_PREPAY_ID, demoOrders } from "../../sandbox/fixtures/demo-orders.js";

/** First prepayId of the demo's convert (address-payment) orders. */
export const DEMO_FIRST_CONVERT_PREPAY_ID = 9_100_000_000_000_000_001n;

/** One batch row, with the columns of DESIGN.md. */
export type SampleRow = Record<string, string>;

export interface DemoData {
  orders: SeedOrder[];
  rows: SampleRow[];
  /**
   * A refund of 0.01 on the last direct order, which the batch refunds in full: sent
   * after the batch, the over-refund guard refuses it before anything reaches GatePay.
   */
  overRefund: SampleRow;
}

/**
 * `directOrders` orders of 100.00 USDT and `convertOrders` convert orders of 50 USDT paid
 * in BTC; rows cycle through: one full refund, two partial refunds, one partial refund;
 * every convert order gets a full convert refund; the last direct order is refunded in
 * full, and {@link DemoData.overRefund} asks for 0.01 more.
 */
export function demoData(directOrders = 180, convertOrders = 20): DemoData {
  const direct = demoOrders(directOrders);
  const convert: SeedOrder[] = Array.from({ length: convertOrders }, (_, i) => ({
    prepayId: String(DEMO_FIRST_CONVERT_PREPAY_ID + BigInt(i)),
    amount: "50",
    currency: "USDT",
    kind: "convert",
    payCurrency: "BTC",
    payAmount: "0.0008",
  }));
  const rows: SampleRow[] = [];
  direct.forEach((order, i) => {
    const n = String(i + 1).padStart(4, "0");
    const base = { prepayId: order.prepayId, refundReason: "" };
    switch (i === direct.length - 1 ? 0 : i % 3) {
      case 0:
        rows.push({
          ...base,
          refundRequestId: `demo-${n}-full`,
          refundAmount: "100.00",
          refundReason: "order cancelled",
        });
        break;
      case 1:
        rows.push({
          ...base,
          refundRequestId: `demo-${n}-a`,
          refundAmount: "30",
          refundReason: "one item returned",
        });
        rows.push({
          ...base,
          refundRequestId: `demo-${n}-b`,
          refundAmount: "20.5",
          refundReason: "shipping refunded",
        });
        break;
      default:
        rows.push({
          ...base,
          refundRequestId: `demo-${n}-part`,
          refundAmount: "45.25",
          refundReason: "damaged item",
        });
    }
  });
  convert.forEach((order, i) => {
    rows.push({
      kind: "convert",
      refundRequestId: `demo-cv-${String(i + 1).padStart(4, "0")}`,
      prepayId: order.prepayId,
      refundOrderCurrency: "USDT",
      refundOrderAmount: "50",
      refundPayCurrency: "BTC",
      refundPayAmount: "0.0008",
      receiverId: String(10_001 + i),
      refundReason: "event cancelled",
    });
  });
  const last = direct[direct.length - 1];
  const overRefund: SampleRow = {
    refundRequestId: `demo-${String(direct.length).padStart(4, "0")}-extra`,
    prepayId: last?.prepayId ?? String(DEMO_FIRST_PREPAY_ID),
    refundAmount: "0.01",
    refundReason: "goodwill, more than the order",
  };
  return { orders: [...direct, ...convert], rows, overRefund };
}

/**
 * The sample's columns: the batch file columns (DESIGN.md "Batch file columns") without
 * the optional `orderAmount`, which the demo leaves to GatePay's answers.
 */
export const SAMPLE_COLUMNS = BATCH_COLUMNS.filter((c) => c !== "orderAmount");

/** The rows as CSV text with a header row. */
export function toCsv(rows: readonly SampleRow[]): string {
  const lines = [SAMPLE_COLUMNS.join(",")];
  for (const row of rows) lines.push(csvLine(SAMPLE_COLUMNS.map((c) => row[c])));
  return `${lines.join("\n")}\n`;
}

export { DEMO_FIRST_PREPAY_ID };
