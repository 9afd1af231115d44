/**
 * The backend's own state: one hash per order (`checkout:order:<orderId>`) with its refund
 * status, and one per refund (`checkout:refund:<refundRequestId>`) naming its order. A
 * real backend keeps this in its own database; Redis keeps the example short.
 */
import type { Redis } from "ioredis";

/** What the backend shows for an order's refund. */
export type OrderRefundStatus =
  "refund_requested" | "refunded" | "refund_failed" | "needs_attention";

/** The order status a refund state means, or undefined while GatePay is still working. */
export function orderStatusOf(state: string): OrderRefundStatus | undefined {
  switch (state) {
    case "succeeded":
      return "refunded";
    case "failed":
    case "rejected":
      return "refund_failed";
    case "dead":
    case "stuck":
      return "needs_attention"; // a person looks: `gatepay-refunds replay` or GatePay support
    default:
      return undefined;
  }
}

export class OrderRefunds {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = "checkout",
  ) {}

  private orderKey(orderId: string): string {
    return `${this.keyPrefix}:order:${orderId}`;
  }

  private refundKey(refundRequestId: string): string {
    return `${this.keyPrefix}:refund:${refundRequestId}`;
  }

  /** Notes that the order asked for this refund (before it is enqueued). */
  async requested(orderId: string, refundRequestId: string): Promise<void> {
    await this.redis
      .multi()
      .hset(this.refundKey(refundRequestId), { orderId })
      .hset(this.orderKey(orderId), {
        refundRequestId,
        status: "refund_requested",
        refundState: "queued",
      })
      .exec();
  }

  /**
   * Applies one event of the refund service. Returns false for a refund that is not one of
   * ours (another backend shares the stream). Idempotent: a redelivered event changes
   * nothing new, and an older event never overwrites a newer one (`version`).
   */
  async apply(refundRequestId: string, state: string, version: number): Promise<boolean> {
    const orderId = await this.redis.hget(this.refundKey(refundRequestId), "orderId");
    if (orderId === null) return false;
    const key = this.orderKey(orderId);
    const seen = Number((await this.redis.hget(key, "refundVersion")) ?? "0");
    if (version <= seen) return true;
    const status = orderStatusOf(state);
    await this.redis.hset(key, {
      refundState: state,
      refundVersion: String(version),
      ...(status === undefined ? {} : { status }),
    });
    return true;
  }

  async get(orderId: string): Promise<Record<string, string> | undefined> {
    const order = await this.redis.hgetall(this.orderKey(orderId));
    return Object.keys(order).length === 0 ? undefined : order;
  }
}
