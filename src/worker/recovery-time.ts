/**
 * Recovery time after a worker process dies: how long until the refunds it held move
 * again, and the BullMQ and lease timings derived from that objective. Pure.
 *
 * A SIGKILLed process leaves its jobs `active` in BullMQ with a lock nobody renews. A
 * live worker's stalled-job check moves such a job back to `wait` once the lock has
 * expired, in two passes: one check marks every active job, a later one moves those
 * still marked whose lock is gone (lock renewal unmarks a job). A dead process renewed
 * its locks every `lockDuration / 2`, so its locks are gone at most `lockDuration` after
 * the kill, and the next check, at most `stalledInterval` later, moves the jobs:
 *
 *   job recovery ≤ lockDuration + stalledInterval            (defaults: 10 s + 2 s = 12 s)
 *
 * The submit lease (a record field on Redis's clock, not BullMQ's lock) keeps a re-run
 * from looking a refund up or re-sending it while the dead run's POST may still be in
 * flight. It is the larger of the job recovery time — a lease taken before the kill then
 * ends before a re-run can start, so it adds nothing to the recovery time, and the send
 * gets all of that time — and the request timeout plus the margin, so a send with the
 * full timeout fits (a longer GATEPAY_TIMEOUT_MS lengthens the lease and the recovery
 * from that state). The send carries a deadline of the lease's end minus the margin: no
 * request starts later, and its timeout is cut to end by then (src/gatepay/send-deadline.ts).
 *
 * Lock renewal on a loaded event loop: BullMQ renews from a timer. A loop blocked for
 * longer than `lockDuration / 2` can let a live run's lock expire; the job then runs a
 * second time while the first run still holds it. That costs work, never money: the
 * second run finds the first run's live lease and waits, the lease fence and the send
 * deadline stop a run that resumes late from sending, and a run whose refund another run
 * has leased since leaves the record alone (src/worker/submit-refund.ts).
 */

/** The inputs: what operators tune (WORKER_LOCK_DURATION_MS, WORKER_STALLED_INTERVAL_MS, GATEPAY_TIMEOUT_MS). */
export interface RecoveryTimeInput {
  /** BullMQ job lock, ms; renewed every half of it. */
  lockDurationMs: number;
  /** BullMQ stalled-job check interval, ms. */
  stalledIntervalMs: number;
  /** GatePay request timeout, ms. */
  timeoutMs: number;
  /** Time a submit lease outlives the send deadline, ms. */
  leaseMarginMs: number;
}

/** Worst-case time from a SIGKILL until a refund the dead process held moves again, by state, ms. */
export interface RecoveryObjectives {
  /** A submit or poll job active in the dead process, no lease taken: back in `wait`. */
  activeJob: number;
  /** A submit lease taken, the POST not sent: another run may send. */
  leaseBeforePost: number;
  /**
   * The POST sent, its answer lost with the process: another run holds the job again.
   * Its look-up waits, on top, until the send plus the timeout plus the look-up grace
   * (`unknownOutcomeGraceMs`: GatePay's read side may lag, gatepay-api.md §6.5): that wait
   * is correctness, not recovery.
   */
  postAnswerLost: number;
  /** A poll job active in the dead process: polled again. */
  pollJob: number;
}

/** The derived timings. */
export interface RecoveryTiming {
  /** BullMQ `lockDuration`, ms. */
  lockDurationMs: number;
  /** BullMQ `stalledInterval`, ms. */
  stalledIntervalMs: number;
  /** BullMQ `maxStalledCount`. */
  maxStalledCount: number;
  /** The submit lease, ms. */
  leaseMs: number;
  objectives: RecoveryObjectives;
}

/** `WORKER_LOCK_DURATION_MS` default, ms. */
export const DEFAULT_LOCK_DURATION_MS = 10_000;
/** `WORKER_STALLED_INTERVAL_MS` default, ms. */
export const DEFAULT_STALLED_INTERVAL_MS = 2_000;
/**
 * How long a job whose every run dies may keep cycling before BullMQ fails it (the
 * reconciler then re-drives it), ms: `maxStalledCount` is this over the job recovery time.
 * A stall costs a recovery time, not an attempt, so a worker fleet that keeps crashing
 * for up to an hour does not fail jobs.
 */
export const STALL_HORIZON_MS = 3_600_000;

/**
 * Derives BullMQ's lock and stalled-check settings and the submit lease from the lock
 * duration and stalled interval (see the module comment for why each bound holds).
 * @throws RangeError when a value is not a positive integer, or the stalled interval
 *   exceeds the lock duration (a check would then come later than the lock's expiry by
 *   more than the lock itself, and the objective would be the check, not the lock).
 */
export function deriveRecoveryTiming(input: RecoveryTimeInput): RecoveryTiming {
  for (const [name, value] of Object.entries(input)) {
    if (!Number.isInteger(value) || value < 0 || (value === 0 && name !== "leaseMarginMs")) {
      throw new RangeError(`${name} must be a positive integer (got ${value})`);
    }
  }
  const { lockDurationMs, stalledIntervalMs, timeoutMs, leaseMarginMs } = input;
  if (stalledIntervalMs > lockDurationMs) {
    throw new RangeError(
      `stalledIntervalMs (${stalledIntervalMs}) must not exceed lockDurationMs (${lockDurationMs})`,
    );
  }
  const activeJob = lockDurationMs + stalledIntervalMs;
  const leaseMs = Math.max(activeJob, timeoutMs + leaseMarginMs);
  return {
    lockDurationMs,
    stalledIntervalMs,
    maxStalledCount: Math.ceil(STALL_HORIZON_MS / activeJob),
    leaseMs,
    objectives: {
      activeJob,
      // The lease was taken before the kill: it ends within leaseMs of it.
      leaseBeforePost: Math.max(activeJob, leaseMs),
      postAnswerLost: activeJob,
      pollJob: activeJob,
    },
  };
}

/**
 * The local-clock time after which a send under a lease taken at `localLeaseAtMs` (read
 * on the local clock *before* the shared clock was read for the lease) must not start:
 * the lease's end minus the margin. Durations only, so clock skew between this host and
 * Redis does not matter.
 */
export function sendDeadlineMs(
  localLeaseAtMs: number,
  timing: { leaseMs: number; leaseMarginMs: number },
): number {
  return localLeaseAtMs + timing.leaseMs - timing.leaseMarginMs;
}
