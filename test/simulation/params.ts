/**
 * The simulation's knobs: one configuration per run, all times in simulated ms. The
 * defaults are sized so a run of a few refunds covers many faults in under ~50 ms of CPU.
 */
import type { GatePayParams } from "./sim-gatepay.js";
import type { ProtocolFlags, ProtocolSettings } from "./protocol.js";

export interface WorldParams {
  settings: ProtocolSettings;
  gatepay: GatePayParams;
  submitMaxAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** BullMQ lockDuration: a run not heard of this long is stalled and re-run elsewhere. */
  lockDurationMs: number;
  /** Up to this long before BullMQ's stalled-job check notices. */
  stalledCheckMs: number;
  /** Stalls a job may survive before BullMQ fails it (maxStalledCount). */
  maxStalledCount: number;
  reconcileEveryMs: number;
  /** Largest difference between a new master's clock and real time (NTP-synced hosts). */
  clockSkewMaxMs: number;
  stallMaxMs: number;
  p: {
    crash: number;
    stall: number;
    failover: number;
    barrierTimeout: number;
  };
}

export interface SimConfig {
  seed: number;
  refunds: number;
  workers: number;
  /** Faults happen before this time only; then the run must settle every refund. */
  faultsUntilMs: number;
  /** Hard end of simulated time. */
  endMs: number;
  flags: ProtocolFlags;
  casBy: "write-id" | "version";
  /**
   * Whether a barrier fails when the master that acknowledged the write is gone (default
   * true). False: a WAIT re-sent to the new master after a reconnect "succeeds" although
   * the write it was meant to cover was lost in the failover.
   */
  barrierChecksMaster: boolean;
  /** Only these fault opportunities may fire (shrinking); undefined: all. */
  allowedFaults?: ReadonlySet<number> | undefined;
  trace: boolean;
  params: WorldParams;
}

export const ALL_PROTECTIONS: ProtocolFlags = Object.freeze({
  barrier: true,
  fence: true,
  secondNotFound: true,
});

export function defaultParams(): WorldParams {
  const timeoutMs = 1000;
  const graceMs = 2000;
  return {
    settings: {
      timeoutMs,
      leaseMarginMs: 1000,
      unknownOutcomeGraceMs: graceMs,
      pollFirstDelayMs: 1000,
      pollMaxDelayMs: 8000,
      pollDeadlineMs: 120_000,
    },
    gatepay: {
      timeoutMs,
      // GATEPAY_LOOKUP_GRACE_MS is the operator's bound on GatePay's read lag.
      readLagMaxMs: graceMs,
      settleMinMs: 200,
      settleMaxMs: 5000,
      failRatio: 0.1,
      p: {
        refused: 0.03,
        rateLimited: 0.03,
        lostBefore: 0.05,
        slow: 0.15,
        lostAfter: 0.08,
        error500After: 0.05,
        lag: 0.3,
        readTimeout: 0.05,
        webhookDup: 0.2,
        webhookLate: 0.2,
      },
    },
    submitMaxAttempts: 5,
    backoffBaseMs: 500,
    backoffCapMs: 8000,
    lockDurationMs: 3000,
    stalledCheckMs: 1500,
    // start-workers.ts raises maxStalledCount (100): a stalled job runs again, not fails.
    maxStalledCount: 100,
    reconcileEveryMs: 5000,
    // The protocol tolerates skew up to (2 × grace − read lag) / 2: two "not found"
    // answers a grace apart, each on whichever master answers TIME.
    clockSkewMaxMs: graceMs * 0.45,
    stallMaxMs: 8000,
    p: { crash: 0.004, stall: 0.015, failover: 0.25, barrierTimeout: 0.03 },
  };
}

export function defaultConfig(seed: number, overrides: Partial<SimConfig> = {}): SimConfig {
  return {
    seed,
    refunds: 6,
    workers: 3,
    faultsUntilMs: 60_000,
    endMs: 900_000,
    flags: ALL_PROTECTIONS,
    casBy: "write-id",
    barrierChecksMaster: true,
    trace: false,
    params: defaultParams(),
    ...overrides,
  };
}
