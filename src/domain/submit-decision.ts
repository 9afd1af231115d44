/**
 * What a submit job does with a refund record: the pure half of the submit processor
 * (src/worker/submit-refund.ts does the I/O each decision names, then reads the record
 * and decides again). The rules that keep money from moving twice:
 *
 * 1. The record, not the job, decides. A job for a refund that is past `submitting`, or
 *    has no record, does nothing, however it got there (duplicate job, replay, stall
 *    recovery). An accepted refund only has its first poll made sure of: a run killed
 *    between the `accepted` write and adding the poll job leaves its job to be re-run.
 * 2. While another run's submit lease is live (on the shared Redis clock, so workers
 *    with skewed clocks agree), nobody looks up or re-sends: wait for the lease to end.
 * 3. A POST whose outcome is unknown leaves `mayExist` set: the refund is looked up by
 *    refundRequestId before any re-send, and no earlier than the grace period after the
 *    latest moment the POST could have done anything at GatePay (plus GatePay's
 *    read-side lag, gatepay-api.md §6.5): the arrival of its answer when one came (an
 *    HTTP 5xx, 300000), else the send plus the request timeout.
 * 4. Otherwise: send, under a fresh lease ({@link submitLeaseUntilMs}), and only if the
 *    lease landed in time ({@link checkLeaseFence}).
 * 5. Stored shared-clock times (another run's lease, the last send, the answer) are
 *    compared with now only when both were read under the same Redis server epoch: after
 *    a failover or restart the clock is another host's, so the times are re-based on the
 *    new clock first (`restart-clock`, grace-clock.ts), never trusted.
 */
import { sameClock } from "./grace-clock.js";
import type { RefundRecord, SubmitState } from "./refund-record.js";

/** The settings the decision reads, all in ms. */
export interface SubmitDecisionSettings {
  /** GatePay HTTP timeout per request. */
  timeoutMs: number;
  /** How long a submit lease outlives the send deadline (the request timeout at most). */
  leaseMarginMs: number;
  /**
   * The submit lease, when set (src/worker/recovery-time.ts derives it); otherwise the
   * request timeout plus the margin.
   */
  leaseMs?: number | undefined;
  /** After an unknown outcome, how long a "not found" is not yet proof (GATEPAY_LOOKUP_GRACE_MS). */
  unknownOutcomeGraceMs: number;
  /** Acceptance to poll 1 (POLL_FIRST_DELAY_MS). */
  pollFirstDelayMs: number;
}

/** What the submit job does next. */
export type SubmitDecision =
  /** Nothing: no record, or the refund is past `submitting`. */
  | { action: "skip"; reason: "missing" | "not-submitting" }
  /** Accepted: make sure poll 1 exists, due in `delayMs` (ms from now, ≥ 0). */
  | { action: "ensure-poll-scheduled"; delayMs: number }
  /** Come back at `atMs` (shared clock) without using an attempt. */
  | { action: "wait-until"; atMs: number; reason: "lease" | "look-up-time" }
  /** Ask GatePay whether it has the refund before anything is sent. */
  | { action: "look-up" }
  /** Take the lease and POST. */
  | { action: "send" }
  /** The record's times were read on another Redis server's clock: re-base them on now's. */
  | { action: "restart-clock" };

/**
 * Which clock `nowMs` of {@link decideSubmit} must be read from for `record`: the shared
 * (Redis) clock whenever a lease or send time may be compared (`queued`, `submitting`);
 * the local clock otherwise — a poll delay is on BullMQ's local clock, and a job with
 * nothing to do costs no round trip.
 *
 * Given the deciding run's `leaseOwner`: `none` when the decision reads no clock at all —
 * a `queued` or `submitting` record with neither another run's lease nor a send whose
 * outcome is unknown is sent whatever the time (the lease then reads the shared clock
 * itself), so the shared clock is not read twice in a row. Any `nowMs` will do then.
 */
export function submitClock(
  record: RefundRecord | null,
  leaseOwner?: string,
): "shared" | "local" | "none" {
  if (record?.state !== "queued" && record?.state !== "submitting") return "local";
  const s = record.submit;
  const otherLease = Boolean(s.leaseOwner) && s.leaseOwner !== leaseOwner;
  return leaseOwner !== undefined && !s.mayExist && !otherLease ? "none" : "shared";
}

/**
 * The end (shared clock, ms) of a live lease held by another run than `leaseOwner`, or
 * `undefined` when no other run holds a live lease (none, ours, or expired).
 */
export function otherLiveLeaseUntil(
  submit: SubmitState,
  leaseOwner: string,
  nowMs: number,
): number | undefined {
  const until = submit.leaseUntilMs ?? 0;
  return submit.leaseOwner && submit.leaseOwner !== leaseOwner && until > nowMs ? until : undefined;
}

/**
 * Decides what a submit job does with `record` at `nowMs` (read from the clock
 * {@link submitClock} names), as run `leaseOwner`. `nowEpoch`: the Redis server epoch
 * `nowMs` was read under, together with it (undefined: unknown, the times are trusted).
 */
export function decideSubmit(
  record: RefundRecord | null,
  nowMs: number,
  leaseOwner: string,
  settings: SubmitDecisionSettings,
  nowEpoch?: string,
): SubmitDecision {
  if (!record) return { action: "skip", reason: "missing" };
  if (record.state === "accepted" && record.poll) {
    // Poll job ids are deterministic: when poll 1 exists, scheduling it adds nothing.
    const dueAtMs = record.poll.acceptedAtMs + settings.pollFirstDelayMs;
    return { action: "ensure-poll-scheduled", delayMs: Math.max(0, dueAtMs - nowMs) };
  }
  if (record.state !== "queued" && record.state !== "submitting") {
    return { action: "skip", reason: "not-submitting" };
  }
  const s = record.submit;
  const otherLease = !!s.leaseOwner && s.leaseOwner !== leaseOwner;
  if ((otherLease || s.mayExist) && !sameClock(s.clockEpoch, nowEpoch)) {
    return { action: "restart-clock" };
  }
  const leaseUntil = otherLiveLeaseUntil(s, leaseOwner, nowMs);
  // Another run may have a POST in flight: wait for its lease, then look again.
  if (leaseUntil !== undefined) return { action: "wait-until", atMs: leaseUntil, reason: "lease" };
  if (s.mayExist) {
    const lookAt = lookUpAtMs(s, settings);
    if (nowMs < lookAt) return { action: "wait-until", atMs: lookAt, reason: "look-up-time" };
    return { action: "look-up" };
  }
  return { action: "send" };
}

/**
 * The earliest look-up after an unknown outcome (shared clock, ms): the grace period after
 * the latest moment the last POST could have done anything at GatePay. An answered
 * failure fixes that moment (GatePay had finished with the request when it answered);
 * without an answer it is the send plus the request timeout.
 */
export function lookUpAtMs(
  s: SubmitState,
  settings: Pick<SubmitDecisionSettings, "timeoutMs" | "unknownOutcomeGraceMs">,
): number {
  const timedOutAt = (s.lastSentAtMs ?? 0) + settings.timeoutMs;
  // An answer arrives within the timeout; min() bounds a misreported answer time.
  const doneBy = s.answeredAtMs === undefined ? timedOutAt : Math.min(s.answeredAtMs, timedOutAt);
  return doneBy + settings.unknownOutcomeGraceMs;
}

/**
 * The end (shared clock, ms) of a lease taken at `leaseAtMs`: `leaseMs` when set, else the
 * timeout plus the margin.
 */
export function submitLeaseUntilMs(
  leaseAtMs: number,
  settings: Pick<SubmitDecisionSettings, "timeoutMs" | "leaseMarginMs" | "leaseMs">,
): number {
  return leaseAtMs + (settings.leaseMs ?? settings.timeoutMs + settings.leaseMarginMs);
}

/** Why a send was held back by the fence: an unknown outcome, never sent. */
export interface LeaseFenceHold {
  action: "unknown-outcome";
  code: "LEASE_FENCE";
  reason: string;
}

/**
 * The lease fence: `lostMs` is how long (local monotonic clock) passed between reading
 * the shared clock for the lease and the lease landing. If the process or Redis stalled
 * for more than half the margin, part of the lease is already spent and another run may
 * act soon, so the POST is not sent: returns why (an unknown outcome, so the refund is
 * looked up before any send). `null`: send.
 */
export function checkLeaseFence(lostMs: number, leaseMarginMs: number): LeaseFenceHold | null {
  if (lostMs > leaseMarginMs / 2) {
    return {
      action: "unknown-outcome",
      code: "LEASE_FENCE",
      reason: `the submit lease took ${Math.round(lostMs)} ms to land; the POST was not sent, the refund is looked up before any send`,
    };
  }
  return null;
}

/**
 * Whether another run has leased or sent for the refund since `view` (what a failing run
 * last read): its attempt count, last send time or lease owner changed. Such a run's send
 * and outcome are newer than the failing run's, so the failing run must not write over
 * them — a stale "nothing was sent" would clear the newer send's unknown outcome and let a
 * later run re-send without looking GatePay up first.
 */
export function anotherSendSince(view: RefundRecord, fresh: RefundRecord): boolean {
  return (
    fresh.attempts !== view.attempts ||
    fresh.submit.lastSentAtMs !== view.submit.lastSentAtMs ||
    (fresh.submit.leaseOwner !== undefined && fresh.submit.leaseOwner !== view.submit.leaseOwner)
  );
}
