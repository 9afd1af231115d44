/**
 * A call's send deadline (`CallOptions.sendBy`): the local-clock time after which no
 * request of the call may start. The submit worker passes its lease's end minus a margin
 * (src/worker/recovery-time.ts), so a run whose process stalled after taking the lease —
 * a blocked event loop, a paused VM — cannot send a refund once another run may act on
 * it. Each attempt's timeout is cut to end by the deadline, so no request the call
 * started is still waiting for its answer after it either.
 */
import type { GatePayOperation } from "./endpoints.js";
import { GatePayConnectionError } from "./errors.js";

/**
 * The send deadline had passed before the request started: nothing was sent
 * (`requestMayHaveReached` is false), so the refund cannot exist because of this call.
 */
export class GatePaySendDeadlineError extends GatePayConnectionError {
  /** The deadline, epoch ms (local clock). */
  readonly sendBy: number;
  /** How late the attempt was, ms. */
  readonly lateMs: number;

  constructor(operation: GatePayOperation, sendBy: number, nowMs: number) {
    super({
      operation,
      cause: undefined,
      requestMayHaveReached: false,
      description: `send deadline passed ${nowMs - sendBy} ms before the request started; nothing was sent`,
    });
    this.name = "GatePaySendDeadlineError";
    this.sendBy = sendBy;
    this.lateMs = nowMs - sendBy;
  }
}

/**
 * The timeout of an attempt starting at `nowMs`: `timeoutMs`, cut to end by `sendBy`
 * when one is given (whole milliseconds, at least 1).
 * @throws GatePaySendDeadlineError when less than 1 ms is left before `sendBy`.
 */
export function attemptTimeoutMs(
  operation: GatePayOperation,
  timeoutMs: number,
  sendBy: number | undefined,
  nowMs: number = Date.now(),
): number {
  if (sendBy === undefined) return timeoutMs;
  const leftMs = Math.floor(sendBy - nowMs);
  if (leftMs < 1) throw new GatePaySendDeadlineError(operation, sendBy, nowMs);
  return Math.min(timeoutMs, leftMs);
}
