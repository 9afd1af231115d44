/**
 * Stop signals for the long-running commands (`worker`, `sandbox`).
 */
import { EXIT_CODES, type CliIo } from "./output.js";

/** The signals that stop a long-running command. */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** A stop signal that has been (or will be) received. */
export interface StopSignal {
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly received: Promise<NodeJS.Signals>;
  /** The first signal once received; `undefined` before. */
  readonly signal: NodeJS.Signals | undefined;
  /** Removes the handlers (call once shutdown is done). */
  dispose(): void;
}

/**
 * Listens for SIGTERM and SIGINT. Install it before starting anything, so a signal that
 * arrives during start-up still leads to a clean shutdown instead of killing the process
 * mid-start. The first signal resolves {@link StopSignal.received}; a second one means
 * the operator does not want to wait for the drain, so the process exits at once with
 * code 1 (in-flight refunds stay safe: their records and leases let the next worker
 * finish them).
 */
export function listenForStopSignal(io: CliIo): StopSignal {
  let resolve: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = signal;
      resolve(signal);
      return;
    }
    io.err(`${signal} again: exiting without waiting for shutdown to finish`);
    process.exit(EXIT_CODES.failure);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    received,
    get signal() {
      return first;
    },
    dispose() {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
