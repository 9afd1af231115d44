/** The pause between attempts of a status read, and an abortable sleep. */
import type { FailureDecision } from "./classify-failure.js";

/**
 * Pause before the next attempt of a read: Retry-After when given, else 100 ms doubling
 * per attempt with jitter (50–100 % of the step), each step ≤ 1 s. Undefined: do not retry.
 */
export function readRetryDelayMs(
  decision: FailureDecision,
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  if (decision.action === "retry-after") return decision.delayMs;
  if (decision.action !== "retry") return undefined;
  const step = Math.min(100 * 2 ** (attempt - 1), 1_000);
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
