/**
 * PAY_REFUND notifications from the sandbox (gatepay-api.md §7): signed like requests,
 * retried on a schedule until acknowledged, optionally duplicated or delivered out of
 * order.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { GATEPAY_HEADERS, generateNonce, signPayload } from "../gatepay/signing.js";
import type { LedgerOrder, LedgerRefund } from "./ledger.js";
import type { RandomSource } from "./random.js";
import type { TimerSet } from "./timers.js";

/** Webhook `bizStatus` values for refunds (gatepay-api.md §6.4). */
export type WebhookBizStatus = "REFUND_PROCESS" | "REFUND_SUCCESS" | "REFUND_REJECTED";

/**
 * Delays between delivery attempts, ms: after attempt n fails, attempt n+1 waits
 * `schedule[n-1]`; when the schedule runs out the delivery is given up.
 * - `"gatepay"`: the documented schedule (gatepay-api.md §7.5, current narrative):
 *   15 s ×2, 30 s, 3 min, 10 min, 20 min, 30 min ×3, 60 min, 3 h ×3, 6 h ×2;
 * - `"compressed"`: the same shape for tests: 50, 100, 200, 400, 800, 1,600, 3,200 ms;
 * - a list of delays.
 */
export type WebhookSchedule = "gatepay" | "compressed" | readonly number[];

/** The documented retry delays, ms (gatepay-api.md §7.5). */
export const GATEPAY_WEBHOOK_SCHEDULE_MS: readonly number[] = [
  15_000, 15_000, 30_000, 180_000, 600_000, 1_200_000, 1_800_000, 1_800_000, 1_800_000, 3_600_000,
  10_800_000, 10_800_000, 10_800_000, 21_600_000, 21_600_000,
];

/** Retry delays for tests and demos, ms. */
export const COMPRESSED_WEBHOOK_SCHEDULE_MS: readonly number[] = [
  50, 100, 200, 400, 800, 1_600, 3_200,
];

/** Webhook behaviour. */
export interface WebhookOptions {
  /** Retry delays; default `"gatepay"`. */
  schedule?: WebhookSchedule;
  /** Also notify `REFUND_PROCESS` when a refund is accepted; default false. */
  sendProcess?: boolean;
  /** Ratio of notifications delivered twice (two independent deliveries); default 0. */
  duplicateRatio?: number;
  /**
   * Deliver a refund's `REFUND_PROCESS` only after its final notification is done
   * (acknowledged or given up), so the receiver sees the final status first. Implies a
   * `REFUND_PROCESS` notification even when `sendProcess` is false. Default false.
   */
  reorder?: boolean;
  /** Per-attempt timeout, ms; an attempt that takes longer is a failure. Default 5,000. */
  timeoutMs?: number;
}

/** One notification and its delivery history. */
export interface WebhookDelivery {
  /** Sequence number, from 1. */
  id: number;
  refundRequestId: string;
  gateRefundId: string;
  bizStatus: WebhookBizStatus;
  /** The exact JSON body sent (every attempt sends the same bytes, freshly signed). */
  body: string;
  /** True for the extra copy made by `duplicateRatio`. */
  duplicate: boolean;
  /** Attempts made so far. */
  attempts: number;
  /** `held` = waiting for the final notification (reorder). */
  state: "held" | "pending" | "acked" | "gave-up";
  lastHttpStatus?: number;
  lastError?: string;
  ackedAtMs?: number;
}

/** Delivery counters. */
export interface WebhookCounters {
  /** Notifications created (including duplicates). */
  notifications: number;
  /** HTTP attempts made. */
  attempts: number;
  /** Deliveries acknowledged. */
  acked: number;
  /** Attempts that were not acknowledged. */
  failedAttempts: number;
  /** Deliveries abandoned after the schedule ran out. */
  gaveUp: number;
  /** Extra copies made by `duplicateRatio`. */
  duplicates: number;
}

/** What a {@link WebhookDispatcher} needs. */
export interface WebhookDispatcherSettings {
  /** Where to deliver; read at every notification, so it can change at run time. */
  url: () => string | undefined;
  clientId: string;
  secretKey: string;
  options: WebhookOptions;
  random: RandomSource;
  now: () => number;
  timers: TimerSet;
}

/**
 * The §7.3 body: `bizType`, `bizId` (the Gate refund id, per the field table), `bizStatus`,
 * `clientId`, and `data` as a JSON *string* holding the order and `refundInfo`.
 */
export function buildRefundNotification(
  refund: Readonly<LedgerRefund>,
  order: Pick<LedgerOrder, "amount" | "currency">,
  bizStatus: WebhookBizStatus,
  clientId: string,
): string {
  const refundInfo: Record<string, string> = {
    refundRequestId: refund.refundRequestId,
    prepayId: refund.prepayId,
    orderAmount: order.amount,
    refundAmount: refund.refundAmount,
  };
  if (refund.refundPayCurrency !== undefined)
    refundInfo["refundPayCurrency"] = refund.refundPayCurrency;
  if (refund.refundPayAmount !== undefined) refundInfo["refundPayAmount"] = refund.refundPayAmount;
  const data = {
    currency: order.currency,
    orderAmount: order.amount,
    createTime: refund.createdAtMs,
    refundInfo,
  };
  return JSON.stringify({
    bizType: "PAY_REFUND",
    bizId: refund.gateRefundId,
    bizStatus,
    clientId,
    data: JSON.stringify(data),
  });
}

/** Resolves a {@link WebhookSchedule} to delays in ms. */
export function resolveSchedule(schedule: WebhookSchedule | undefined): readonly number[] {
  if (schedule === undefined || schedule === "gatepay") return GATEPAY_WEBHOOK_SCHEDULE_MS;
  if (schedule === "compressed") return COMPRESSED_WEBHOOK_SCHEDULE_MS;
  return schedule;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DUPLICATE_GAP_MS = 5;
const MAX_ACK_BYTES = 64 * 1024;

/** Delivers notifications with retries; {@link WebhookDispatcher.close} stops everything. */
export class WebhookDispatcher {
  private readonly log: WebhookDelivery[] = [];
  private readonly held = new Map<string, WebhookDelivery[]>();
  private readonly inFlight = new Set<ClientRequest>();
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  private readonly schedule: readonly number[];
  private closed = false;
  private readonly stats: WebhookCounters = {
    notifications: 0,
    attempts: 0,
    acked: 0,
    failedAttempts: 0,
    gaveUp: 0,
    duplicates: 0,
  };

  constructor(private readonly settings: WebhookDispatcherSettings) {
    this.schedule = resolveSchedule(settings.options.schedule);
  }

  /** True when `REFUND_PROCESS` notifications are sent at all. */
  get sendsProcess(): boolean {
    const o = this.settings.options;
    return o.sendProcess === true || o.reorder === true;
  }

  /** Queues the notification of one status change (no-op without a URL). */
  notify(
    refund: Readonly<LedgerRefund>,
    order: Pick<LedgerOrder, "amount" | "currency">,
    bizStatus: WebhookBizStatus,
  ): void {
    if (this.closed || this.settings.url() === undefined) return;
    if (bizStatus === "REFUND_PROCESS" && !this.sendsProcess) return;
    const body = buildRefundNotification(refund, order, bizStatus, this.settings.clientId);
    const copies = this.settings.random() < (this.settings.options.duplicateRatio ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delivery: WebhookDelivery = {
        id: this.log.length + 1,
        refundRequestId: refund.refundRequestId,
        gateRefundId: refund.gateRefundId,
        bizStatus,
        body,
        duplicate: i > 0,
        attempts: 0,
        state: "pending",
      };
      this.log.push(delivery);
      this.stats.notifications += 1;
      if (i > 0) this.stats.duplicates += 1;
      if (bizStatus === "REFUND_PROCESS" && this.settings.options.reorder) {
        // Out of order on purpose: the in-progress notice waits for the final one.
        delivery.state = "held";
        const list = this.held.get(refund.gateRefundId) ?? [];
        list.push(delivery);
        this.held.set(refund.gateRefundId, list);
      } else if (i === 0) {
        this.attempt(delivery);
      } else {
        this.settings.timers.after(DUPLICATE_GAP_MS, () => this.attempt(delivery));
      }
    }
  }

  /** Every notification so far, in creation order (live records). */
  deliveries(): readonly Readonly<WebhookDelivery>[] {
    return this.log;
  }

  /** Delivery counters (a copy). */
  counters(): WebhookCounters {
    return { ...this.stats };
  }

  /** Forgets the delivery log and counters; in-flight attempts are aborted. */
  reset(): void {
    this.abortInFlight();
    this.log.length = 0;
    this.held.clear();
    for (const key of Object.keys(this.stats)) this.stats[key as keyof WebhookCounters] = 0;
  }

  /** Aborts in-flight attempts, stops retries (their timers live in the shared TimerSet) and frees sockets. */
  close(): void {
    this.closed = true;
    this.abortInFlight();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private abortInFlight(): void {
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
  }

  private attempt(delivery: WebhookDelivery): void {
    const url = this.settings.url();
    if (this.closed || url === undefined) return;
    delivery.attempts += 1;
    this.stats.attempts += 1;
    const timestamp = String(this.settings.now());
    const nonce = generateNonce();
    const target = new URL(url);
    const isHttps = target.protocol === "https:";
    const send = isHttps ? httpsRequest : httpRequest;
    // Each attempt is signed afresh (new timestamp and nonce) over the same body bytes;
    // gatepay-api.md §7.2 does not say, and this is the reading receivers cope with best.
    const req = send(target, {
      method: "POST",
      agent: isHttps ? this.httpsAgent : this.httpAgent,
      timeout: this.settings.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      headers: {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(delivery.body),
        [GATEPAY_HEADERS.timestamp]: timestamp,
        [GATEPAY_HEADERS.nonce]: nonce,
        [GATEPAY_HEADERS.signature]: signPayload(
          this.settings.secretKey,
          timestamp,
          nonce,
          delivery.body,
        ),
      },
    });
    this.inFlight.add(req);
    let done = false;
    const finish = (acked: boolean, httpStatus: number | undefined, error: string | undefined) => {
      if (done) return;
      done = true;
      this.inFlight.delete(req);
      if (httpStatus !== undefined) delivery.lastHttpStatus = httpStatus;
      if (error !== undefined) delivery.lastError = error;
      if (this.closed) return;
      if (acked) {
        delivery.state = "acked";
        delivery.ackedAtMs = this.settings.now();
        this.stats.acked += 1;
        this.releaseHeld(delivery);
        return;
      }
      this.stats.failedAttempts += 1;
      const wait = this.schedule[delivery.attempts - 1];
      if (wait === undefined) {
        delivery.state = "gave-up";
        this.stats.gaveUp += 1;
        this.releaseHeld(delivery);
        return;
      }
      this.settings.timers.after(wait, () => this.attempt(delivery));
    };
    req.on("timeout", () => {
      req.destroy(
        new Error(`no answer within ${this.settings.options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`),
      );
    });
    req.on("error", (err) => finish(false, undefined, err.message));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= MAX_ACK_BYTES) chunks.push(c);
      });
      res.on("error", (err) => finish(false, res.statusCode, err.message));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const acked = status === 200 && isAck(Buffer.concat(chunks).toString("utf8"));
        finish(acked, status, acked ? undefined : `not acknowledged (HTTP ${status})`);
      });
    });
    req.end(delivery.body);
  }

  /** After a final notification is done, releases the refund's held REFUND_PROCESS notices. */
  private releaseHeld(delivery: WebhookDelivery): void {
    if (delivery.bizStatus === "REFUND_PROCESS") return;
    const list = this.held.get(delivery.gateRefundId);
    if (!list) return;
    this.held.delete(delivery.gateRefundId);
    for (const d of list) {
      d.state = "pending";
      this.attempt(d);
    }
  }
}

/** gatepay-api.md §7.4: acknowledged = HTTP 200 with `returnCode` `SUCCESS`. */
function isAck(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      typeof parsed === "object" &&
      parsed !== null &&
      (parsed as Record<string, unknown>)["returnCode"] === "SUCCESS"
    );
  } catch {
    return false;
  }
}
