/**
 * One attempt over a transport, under the client's own timeout combined with the
 * caller's signal, with every failure to get an answer mapped to the error tree:
 * aborted by the caller, timed out, or a connection error (refused, reset, dropped).
 */
import type { GatePayOperation } from "./endpoints.js";
import { GatePayConnectionError, GatePayTimeoutError } from "./errors.js";
import type { GatePayTransport, TransportAnswer, TransportRequest } from "./transport.js";

/** An attempt before the signal is attached. */
export interface AttemptRequest extends Omit<TransportRequest, "signal"> {
  operation: GatePayOperation;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

export async function sendAttempt(
  transport: GatePayTransport,
  req: AttemptRequest,
): Promise<TransportAnswer> {
  if (req.signal?.aborted === true) {
    throw new GatePayConnectionError({
      operation: req.operation,
      cause: req.signal.reason,
      requestMayHaveReached: false,
      description: "aborted by the caller before sending",
    });
  }
  const timeout = attemptTimeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout.signal]) : timeout.signal;
  try {
    return await transport.send({
      method: req.method,
      url: req.url,
      body: req.body,
      sign: req.sign,
      signal,
    });
  } catch (err) {
    if (isAborted(req.signal)) {
      throw new GatePayConnectionError({
        operation: req.operation,
        cause: err,
        requestMayHaveReached: true,
        description: "aborted by the caller",
      });
    }
    if (timeout.signal.aborted) {
      throw new GatePayTimeoutError({
        operation: req.operation,
        timeoutMs: req.timeoutMs,
        cause: err,
      });
    }
    throw GatePayConnectionError.fromCause(req.operation, err);
  } finally {
    timeout.clear();
  }
}

/** Longest delay a Node timer keeps (longer ones fire after 1 ms). */
const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * The attempt's timeout signal, and how to stop its timer once the answer is in. A timer
 * of our own, cleared then: AbortSignal.timeout's timer (and its weak-reference
 * bookkeeping) stayed armed for the full timeout after every request. It aborts with what
 * AbortSignal.timeout aborts with; a delay outside what a timer keeps still goes to
 * AbortSignal.timeout, which validates it as before.
 */
function attemptTimeout(ms: number): { signal: AbortSignal; clear: () => void } {
  if (!(Number.isInteger(ms) && ms >= 0 && ms <= TIMER_MAX_MS)) {
    return { signal: AbortSignal.timeout(ms), clear: () => undefined };
  }
  const controller = new AbortController();
  const timer = setTimeout(abortOnTimeout, ms, controller);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** What AbortSignal.timeout aborts with: a `TimeoutError` DOMException. */
function abortOnTimeout(controller: AbortController): void {
  controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
}

/** Whether `signal` has aborted (a function, so TypeScript does not keep a stale narrowing). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
