/**
 * The PAY_REFUND webhook receiver, apart from any HTTP framework: raw body and headers in,
 * the HTTP answer out (gatepay-api.md §7).
 *
 * Order (§7.4, "verify → parse → idempotency check → update local state → return
 * success"): the signature is checked over the raw bytes before anything is parsed; the
 * refund is looked up by `refundInfo.refundRequestId` (§7.3: the merchant-unique key,
 * never `bizId`, whose meaning the docs contradict); the status goes through
 * {@link applyReport}, the compare-and-set path the poll and submit workers use, so a
 * replayed delivery or a `REFUND_PROCESS` after a final state changes nothing; and
 * GatePay's success body is returned only once the change is stored. Anything else gets
 * a non-200 answer, and GatePay retries it (§7.5).
 */
import { randomUUID } from "node:crypto";
import type { RefundRecord } from "../domain/refund-record.js";
import { reportFromWebhook } from "../gatepay/refund-report.js";
import {
  verifyRefundWebhook,
  WEBHOOK_ACK_BODY,
  WebhookPayloadError,
  WebhookVerificationError,
  type RefundNotification,
} from "../gatepay/webhook.js";
import type { Logger } from "../logger.js";
import type { RefundStore } from "../store/refund-store.js";
import { withTimeout } from "../with-timeout.js";
import { applyReport } from "./apply-report.js";
import { NO_DURABILITY_GATE, type RefundContext } from "./context.js";
import type { WebhookOutcome } from "./metrics.js";

/** A webhook older than this is counted and logged as stale (it is still applied), ms. */
export const STALE_WEBHOOK_AGE_MS = 24 * 3600 * 1000;
/**
 * A webhook signed longer ago than this is refused (401 WEBHOOK_EXPIRED): past GatePay's
 * retry window, and nonces are remembered only a little longer (notification-store.ts),
 * so an older one could be a captured notification replayed. ms.
 */
export const MAX_WEBHOOK_AGE_MS = 48 * 3600 * 1000;
/** Default bound on looking up and storing one notification, ms. */
export const DEFAULT_WEBHOOK_STORE_TIMEOUT_MS = 10_000;

/** What the receiver needs. */
export interface WebhookReceiverOptions {
  /** The Payment API Secret (§7.2); `undefined` when unset: every webhook gets 503. */
  secret: { reveal(): string } | string | undefined;
  /**
   * The context status reports are applied with: the workers' own when they run in this
   * process, else one built by {@link reportContextFromStore}.
   */
  context: RefundContext;
  /**
   * With QUEUE_SHARDS > 1: the context of the shard holding a refund (null when none
   * does); `context` then only gives the clock.
   */
  contextOf?: ((refundRequestId: string) => Promise<RefundContext | null>) | undefined;
  logger: Logger;
  /** Fed with each outcome and with final states this receiver stored. */
  metrics?: {
    observeWebhook(outcome: WebhookOutcome): void;
    observeStaleWebhook(): void;
    observeFinal(record: RefundRecord): void;
  };
  /**
   * Longest the look-up and store may take before the answer is 500 (GatePay retries;
   * a store that lands late is harmless, the retry then changes nothing), ms. Default 10,000.
   */
  storeTimeoutMs?: number;
}

/** One received request. */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received. */
  rawBody: Buffer | string;
}

/** The HTTP answer to send. */
export interface WebhookAnswer {
  status: number;
  /** JSON text: {@link WEBHOOK_ACK_BODY} on success, else a FAIL body with an `error`. */
  body: string;
  outcome: WebhookOutcome;
}

/**
 * Handles one PAY_REFUND delivery. Never throws: every failure is an answer.
 *
 * - 200 + {@link WEBHOOK_ACK_BODY}: applied and stored; or nothing to change (replay,
 *   stale status); or verified but not ours to apply (unknown refund, prepayId mismatch:
 *   logged at warn, a retry would change nothing).
 * - 401: signature headers missing or the signature does not match; nothing read or changed.
 * - 400: correctly signed but unusable (not JSON, not PAY_REFUND, no refundRequestId).
 * - 500: storing failed or timed out; GatePay retries.
 * - 503: no secret configured; nothing can be verified.
 */
export async function receiveRefundWebhook(
  options: WebhookReceiverOptions,
  request: WebhookRequest,
): Promise<WebhookAnswer> {
  const { logger, metrics } = options;
  const answer = (
    status: number,
    outcome: WebhookOutcome,
    code?: string,
    message?: string,
    issues?: { path: string; message: string }[],
  ): WebhookAnswer => {
    metrics?.observeWebhook(outcome);
    if (code === undefined) return { status, outcome, body: WEBHOOK_ACK_BODY };
    const error: Record<string, unknown> = { code, message };
    if (issues) error["issues"] = issues;
    // §7.4: anything but SUCCESS asks GatePay to deliver again; `error` is for people.
    return {
      status,
      outcome,
      body: JSON.stringify({ returnCode: "FAIL", returnMessage: message, error }),
    };
  };

  const secret = typeof options.secret === "string" ? options.secret : options.secret?.reveal();
  if (!secret) {
    logger.error("webhook refused: GATEPAY_SECRET_KEY is not configured, nothing can be verified");
    return answer(
      503,
      "not_configured",
      "WEBHOOK_SECRET_NOT_CONFIGURED",
      "GATEPAY_SECRET_KEY is not configured",
    );
  }

  let notification: RefundNotification;
  try {
    notification = verifyRefundWebhook({
      secret,
      headers: request.headers,
      rawBody: request.rawBody,
    });
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      logger.warn({ reason: err.reason }, `webhook refused: ${err.message}`);
      return err.reason === "bad-signature"
        ? answer(401, "bad_signature", "BAD_SIGNATURE", "signature does not match the body")
        : answer(401, "missing_signature", "MISSING_SIGNATURE", err.message);
    }
    if (err instanceof WebhookPayloadError) {
      logger.warn({ field: err.field }, `webhook refused: ${err.message}`);
      return answer(400, "malformed", "MALFORMED_WEBHOOK", err.message, [
        { path: err.field, message: err.message },
      ]);
    }
    logger.error({ err }, "webhook verification failed unexpectedly");
    return answer(500, "error", "INTERNAL", "the notification could not be processed");
  }

  const { refundRequestId, bizStatus, bizId } = notification;
  const log = logger.child({ refundRequestId, webhook: { bizStatus, bizId } });
  const ctx = options.context;
  const ageMs = ctx.now() - notification.timestampMs;
  if (ageMs > MAX_WEBHOOK_AGE_MS) {
    log.warn({ ageMs }, "webhook refused: signed more than 48 h ago (a replay?)");
    return answer(
      401,
      "expired",
      "WEBHOOK_EXPIRED",
      "the notification was signed more than 48 h ago",
    );
  }
  if (ageMs > STALE_WEBHOOK_AGE_MS) {
    // §7.2: no freshness window is documented and retries come up to 6 h later (§7.5);
    // an old timestamp is flagged, not refused, since the signature already matched.
    metrics?.observeStaleWebhook();
    log.warn({ ageMs }, "webhook timestamp is more than 24 h old; applied anyway");
  }

  let result: {
    outcome: WebhookOutcome;
    record: RefundRecord | null;
    reason?: string;
    attention?: boolean;
  };
  const storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_WEBHOOK_STORE_TIMEOUT_MS;
  try {
    // The store may still land after the timeout; withTimeout handles its late rejection.
    result = await withTimeout(
      (async () => {
        // The record is read while the nonce is checked (two independent reads, one round
        // trip of waiting): a replay just leaves its read unused. The transition is still a
        // compare-and-set on the version read, so an early read is never a stale write.
        const read = readInShard(options.contextOf, ctx, notification.refundRequestId);
        read.catch(() => undefined); // awaited below unless this is a replay
        // An acknowledged notification's nonce is remembered: the same one again is a
        // replay (or a retry after a lost ack), acknowledged without being applied.
        if (await ctx.store.notifications.nonceSeen(notification.nonce)) {
          return {
            outcome: "unchanged" as const,
            record: null,
            reason: "nonce already acknowledged (replay)",
          };
        }
        const { shardCtx, record } = await read;
        const applied = await apply(shardCtx, record, notification, log, bodyText(request.rawBody));
        await ctx.store.notifications.rememberNonce(notification.nonce);
        return applied;
      })(),
      storeTimeoutMs,
      `not stored within ${storeTimeoutMs} ms`,
    );
  } catch (err) {
    log.error({ err }, "webhook not stored; answering 500 so GatePay delivers it again");
    return answer(500, "error", "STORE_UNAVAILABLE", "the notification could not be stored");
  }

  switch (result.outcome) {
    case "unknown_refund":
      log.warn(
        "webhook for an unknown refund; acknowledged, kept in the unmatched-notifications stream",
      );
      break;
    case "mismatch":
      log.warn(
        { prepayId: notification.prepayId, recordPrepayId: result.record?.request.prepayId },
        "webhook prepayId differs from the refund's; acknowledged, not applied",
      );
      break;
    case "applied":
      log.info({ state: result.record?.state }, "webhook applied");
      // A contradiction noted on a terminal record is not a new final state.
      if (result.record && !result.attention) metrics?.observeFinal(result.record);
      break;
    default:
      log.info({ state: result.record?.state, reason: result.reason }, "webhook changed nothing");
  }
  return answer(200, result.outcome);
}

function bodyText(raw: Buffer | string): string {
  return typeof raw === "string" ? raw : raw.toString("utf8");
}

/**
 * The refund's record, read in the context of its shard when there are several; a refund
 * no shard knows goes to the base context, which keeps it as an unmatched notification.
 */
async function readInShard(
  contextOf: ((refundRequestId: string) => Promise<RefundContext | null>) | undefined,
  ctx: RefundContext,
  refundRequestId: string,
): Promise<{ shardCtx: RefundContext; record: RefundRecord | null }> {
  const shardCtx = (contextOf && (await contextOf(refundRequestId))) ?? ctx;
  return { shardCtx, record: await shardCtx.store.get(refundRequestId) };
}

async function apply(
  ctx: RefundContext,
  record: RefundRecord | null,
  notification: RefundNotification,
  log: Logger,
  rawBody: string,
): Promise<{
  outcome: WebhookOutcome;
  record: RefundRecord | null;
  reason?: string;
  attention?: boolean;
}> {
  if (!record) {
    // Possibly a refund made outside this worker: kept for an operator, not dropped.
    await ctx.store.notifications.recordUnmatched({
      receivedAt: new Date(ctx.now()).toISOString(),
      bizType: notification.bizType,
      refundRequestId: notification.refundRequestId,
      body: rawBody,
    });
    return { outcome: "unknown_refund", record: null };
  }
  if (notification.prepayId !== undefined && notification.prepayId !== record.request.prepayId) {
    // Signed by GatePay for our merchant, yet about another order: applying it could
    // settle the wrong refund. The poll worker still learns the truth from details (§6.2).
    return { outcome: "mismatch", record };
  }
  const report = reportFromWebhook(
    {
      bizStatus: notification.bizStatus,
      bizId: notification.bizId,
      ...(notification.refundAmount !== undefined && { refundAmount: notification.refundAmount }),
      ...(notification.orderAmount !== undefined && { orderAmount: notification.orderAmount }),
    },
    new Date(ctx.now()).toISOString(),
  );
  const t = await applyReport(ctx, record, report, log);
  return t.applied
    ? { outcome: "applied", record: t.record, attention: t.attention !== undefined }
    : { outcome: "unchanged", record: t.record, reason: t.reason };
}

/** The parts of a {@link RefundContext} that applying a status report uses. */
export type ReportContextParts = Pick<RefundContext, "store" | "queues" | "settings" | "logger"> &
  Partial<Pick<RefundContext, "observeAttention">>;

/**
 * A {@link RefundContext} for applying reports in a process that runs no workers (the
 * HTTP server alone). It has no GatePay client and no rate limiter: touching either
 * throws, since applying a report never calls GatePay.
 */
export function reportContextFromStore(
  parts: ReportContextParts & { store: RefundStore },
): RefundContext {
  const absent = (what: string): never => {
    throw new Error(`${what} is not available to the webhook receiver`);
  };
  return {
    ...parts,
    get client(): never {
      return absent("the GatePay client");
    },
    get limiter(): never {
      return absent("the rate limiter");
    },
    durability: NO_DURABILITY_GATE,
    workerId: `http-${randomUUID()}`,
    now: Date.now,
    random: Math.random,
  };
}
