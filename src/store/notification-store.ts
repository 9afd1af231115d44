/**
 * GatePay notifications this deployment could not match to a refund it knows: kept,
 * not dropped, in a capped stream (`<prefix>:unmatched-notifications`, XADD MAXLEN ~
 * 10,000), so an operator can see refunds made outside the worker (another system,
 * GatePay's console) and notifications for ids this deployment never created.
 * Fields: `receivedAt`, `bizType`, `refundRequestId` (when it had one) and `body` (the
 * notification body as received; signature headers are never kept).
 */
import { createHash } from "node:crypto";
import type { RedisConnection as Redis } from "./redis-connection.js";
import type { RefundKeys } from "./keys.js";

/** Approximate length of the unmatched-notifications stream. */
export const UNMATCHED_NOTIFICATIONS_MAXLEN = 10_000;

export interface UnmatchedNotification {
  /** Stream entry id (`<ms>-<seq>`). */
  id: string;
  /** ISO-8601 time it was received. */
  receivedAt: string;
  bizType: string;
  refundRequestId?: string;
  /** The notification body as received (JSON text). */
  body: string;
}

/**
 * How long an acknowledged webhook's nonce is remembered: longer than the 48 h within
 * which a notification is accepted at all, so a captured one cannot be replayed as new.
 */
export const WEBHOOK_NONCE_TTL_MS = 72 * 3600 * 1000;

export class NotificationStore {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #prefix: string;

  constructor(redis: Redis, keys: RefundKeys) {
    this.#redis = redis;
    this.#key = keys.unmatchedNotifications;
    this.#prefix = keys.prefix;
  }

  #nonceKey(nonce: string): string {
    const digest = createHash("sha256").update(nonce).digest("base64url").slice(0, 32);
    return `${this.#prefix}:webhook-nonce:${digest}`;
  }

  /** True when a notification with this nonce was already acknowledged. */
  async nonceSeen(nonce: string): Promise<boolean> {
    return (await this.#redis.exists(this.#nonceKey(nonce))) === 1;
  }

  /** Remembers an acknowledged notification's nonce for {@link WEBHOOK_NONCE_TTL_MS}. */
  async rememberNonce(nonce: string): Promise<void> {
    await this.#redis.set(this.#nonceKey(nonce), "1", "PX", WEBHOOK_NONCE_TTL_MS);
  }

  /** Keeps one unmatched notification (trimmed to about 10,000 entries). */
  async recordUnmatched(n: Omit<UnmatchedNotification, "id">): Promise<void> {
    const fields = ["receivedAt", n.receivedAt, "bizType", n.bizType];
    if (n.refundRequestId !== undefined) fields.push("refundRequestId", n.refundRequestId);
    fields.push("body", n.body);
    await this.#redis.xadd(
      this.#key,
      "MAXLEN",
      "~",
      String(UNMATCHED_NOTIFICATIONS_MAXLEN),
      "*",
      ...fields,
    );
  }

  /** The latest unmatched notifications, newest first. */
  async listUnmatched(options: { limit?: number } = {}): Promise<UnmatchedNotification[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    const entries = await this.#redis.xrevrange(this.#key, "+", "-", "COUNT", limit);
    return entries.map(([id, flat]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
      const out: UnmatchedNotification = {
        id,
        receivedAt: f["receivedAt"] ?? "",
        bizType: f["bizType"] ?? "",
        body: f["body"] ?? "",
      };
      if (f["refundRequestId"] !== undefined) out.refundRequestId = f["refundRequestId"];
      return out;
    });
  }
}
