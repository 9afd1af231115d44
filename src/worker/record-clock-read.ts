/**
 * What a submit job reads before each decision: the record and the shared clock in one
 * round trip (readRecordClock-1.lua), stamped with the local clocks a send's deadline and
 * lease fence count from (src/worker/submit-refund.ts).
 */
import { performance } from "node:perf_hooks";
import type { SharedClockReading } from "../domain/grace-clock.js";
import type { RefundRecord } from "../domain/refund-record.js";
import type { RefundContext, RefundSettings } from "./context.js";

/** A record read with the shared clock, and when (locally) that reading was taken. */
export interface RecordClockRead {
  record: RefundRecord | null;
  clock: SharedClockReading;
  /** Local wall clock just before the read (a send deadline counts from here). */
  localBeforeMs: number;
  /** Local monotonic clock just after the reply (the lease fence counts from here). */
  monoAfterMs: number;
}

export async function readRecordAndClock(
  ctx: RefundContext,
  refundRequestId: string,
): Promise<RecordClockRead> {
  const localBeforeMs = ctx.now();
  const { record, clock } = await ctx.store.getWithClock(refundRequestId);
  return { record, clock, localBeforeMs, monoAfterMs: performance.now() };
}

/**
 * How old (local monotonic ms) the decision's clock reading may be for the lease to be
 * taken at it rather than at a reading of its own: a tenth of the margin (the fence holds
 * a send whose lease landed more than half the margin after its reading).
 */
export function leaseReadingMaxAgeMs(settings: RefundSettings): number {
  return settings.leaseMarginMs / 10;
}
