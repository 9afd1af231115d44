/**
 * What one transition writes (transition-5.lua), decided before the script runs: the
 * reservation release, the in-flight score, and what rides along with the record so the
 * worker needs no round trip of its own after it — the driver (setDriver) and the order
 * amount GatePay reported (learnOrderAmount).
 */
import type { RefundRecord } from "../domain/refund-record.js";
import { isFinalState } from "../domain/refund-state.js";
import type { RefundKeys } from "./keys.js";
import { orderAmountUnits } from "./record-codec.js";
import type { RefundDriver, TransitionOptions } from "./refund-store-types.js";
import type { TransitionInput } from "./scripts.js";

/** The store's settings a write reads. */
export interface TransitionWriteSettings {
  keys: RefundKeys;
  eventsMaxLen: number;
  stallWindowMs: number;
  nowMs: number;
}

/** The script's input, and what the outcome reports once the script has written it. */
export interface TransitionWrite {
  input: TransitionInput;
  written: { driver?: RefundDriver; orderAmountStored?: true };
}

/** The write of `next` over `previous` with what `options` asks to write along. */
export function transitionWrite(
  previous: RefundRecord,
  next: RefundRecord,
  options: TransitionOptions,
  settings: TransitionWriteSettings,
): TransitionWrite {
  const final = isFinalState(next.state);
  // A final refund has nothing left to drive (and leaves the in-flight index).
  const driver = final ? undefined : options.driver?.(next);
  const orderAmount = options.orderAmount && orderAmountArg(options.orderAmount);
  return {
    input: {
      keys: settings.keys,
      eventsMaxLen: settings.eventsMaxLen,
      previous,
      next,
      // No money moved and none will: what the refund held of its order is free again.
      releaseReservation: next.state === "rejected" || next.state === "failed",
      // Look again a stall window after the write, or after the new driver's due time.
      reconcileAtMs: final ? null : (driver?.dueAtMs ?? settings.nowMs) + settings.stallWindowMs,
      driverJobId: driver?.jobId,
      orderAmount,
    },
    written: {
      ...(driver && { driver }),
      ...(orderAmount && { orderAmountStored: true as const }),
    },
  };
}

/**
 * An order amount as the script stores it (learnOrderAmount's fields), or undefined when
 * the amount does not convert: learnOrderAmount, called on its own then, throws as ever.
 */
function orderAmountArg(
  order: NonNullable<TransitionOptions["orderAmount"]>,
): { units: bigint; currency: string | undefined } | undefined {
  try {
    return {
      units: orderAmountUnits(order.amount),
      currency: order.currency ? order.currency.toUpperCase() : undefined,
    };
  } catch {
    return undefined;
  }
}
