/**
 * Settlement: a refund GatePay accepted stays `PROCESSING` for `settleDelayMs`, then
 * settles as SUCCESS or FAIL (drawn with `failureRatio` from its own seeded stream) and
 * sends the final PAY_REFUND notification. `settleNow` settles at once, cancelling the
 * timers; a refund settles once, whichever comes first.
 */
import type { LedgerRefund, SandboxLedger } from "./ledger.js";
import type { SeedOrder } from "./seed-order.js";
import type { ResolvedSettings } from "./options.js";
import { deriveStream, type RandomSource } from "./random.js";
import { TimerSet } from "./timers.js";
import type { WebhookBizStatus } from "./webhooks.js";

/** Which refunds {@link Sandbox.settleNow} settles, and how. */
export interface SettleNowOptions {
  /** Only the refunds of this refundRequestId; default every refund in progress. */
  refundRequestId?: string;
  /** Forced outcome; default drawn with `failureRatio`. */
  status?: "SUCCESS" | "FAIL";
  /** Failure reason when failing; default the `failureReason` setting. */
  reason?: string;
}

/** What settlement needs from the sandbox. */
export interface SettlementDeps {
  ledger: SandboxLedger;
  /** The run's seed: the `"settlement"` stream is derived from it. */
  seed: number;
  /** The sandbox clock, epoch ms. */
  now: () => number;
  /** The current settings (`settleDelayMs`, `failureRatio`, `failureReason`). */
  settings: () => ResolvedSettings;
  /** Sends the notification of a status change. */
  notify: (
    refund: Readonly<LedgerRefund>,
    order: Readonly<SeedOrder>,
    bizStatus: WebhookBizStatus,
  ) => void;
}

/** Settlement timers and the settlement draw. */
export class SettlementScheduler {
  private readonly timers = new TimerSet();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private random: RandomSource;

  constructor(private readonly deps: SettlementDeps) {
    this.random = deriveStream(deps.seed, "settlement");
  }

  /** Settles `refund` after `settleDelayMs` (never when the delay is not finite). */
  schedule(refund: Readonly<LedgerRefund>): void {
    const delay = this.deps.settings().settleDelayMs;
    if (!Number.isFinite(delay)) return;
    const t = this.timers.after(delay, () => {
      this.pending.delete(refund.gateRefundId);
      this.settle(refund.gateRefundId, undefined, undefined);
    });
    if (t) this.pending.set(refund.gateRefundId, t);
  }

  /** Settles the refunds in progress that `o` selects, at once; returns them. */
  settleNow(o: SettleNowOptions): Readonly<LedgerRefund>[] {
    const { ledger } = this.deps;
    const targets = (
      o.refundRequestId === undefined ? ledger.refunds : ledger.refundsFor(o.refundRequestId)
    ).filter((r) => r.status === "PROCESSING");
    const settled: Readonly<LedgerRefund>[] = [];
    for (const r of targets) {
      this.timers.cancel(this.pending.get(r.gateRefundId));
      this.pending.delete(r.gateRefundId);
      const done = this.settle(r.gateRefundId, o.status, o.reason);
      if (done) settled.push(done);
    }
    return settled;
  }

  /** Cancels every timer and restarts the draw from the seed; stays usable. */
  reset(): void {
    this.timers.clear();
    this.pending.clear();
    this.random = deriveStream(this.deps.seed, "settlement");
  }

  /** Cancels every timer and refuses new ones. */
  close(): void {
    this.timers.close();
    this.pending.clear();
  }

  private settle(
    gateRefundId: string,
    status: "SUCCESS" | "FAIL" | undefined,
    reason: string | undefined,
  ): Readonly<LedgerRefund> | undefined {
    const settings = this.deps.settings();
    // Drawn even when the outcome is forced, so a seed gives the same sequence of
    // outcomes whether or not some refunds were settled by hand.
    const drawn = this.random() < settings.failureRatio ? "FAIL" : "SUCCESS";
    const outcome = status ?? drawn;
    const refund = this.deps.ledger.settle(
      gateRefundId,
      outcome === "SUCCESS"
        ? { status: "SUCCESS" }
        : { status: "FAIL", reason: reason ?? settings.failureReason },
      this.deps.now(),
    );
    if (!refund) return undefined;
    const order = this.deps.ledger.orderTerms(refund.prepayId);
    if (order) {
      this.deps.notify(
        refund,
        order,
        refund.status === "SUCCESS" ? "REFUND_SUCCESS" : "REFUND_REJECTED",
      );
    }
    return refund;
  }
}
