/**
 * What the sandbox has seen and done: requests, authentication failures, injected faults,
 * answers by code and ledger events. The GatePay routes count; the admin routes and
 * `Sandbox.counters()` read a copy.
 */
import type { AuthFailureKind } from "./auth.js";
import { SANDBOX_OPERATIONS, type FaultAction, type SandboxOperation } from "./faults.js";
import type { WebhookCounters } from "./webhooks.js";

/** Fault actions that were injected, by kind. */
export type FaultCounts = Record<Exclude<FaultAction, "none">, number>;

/** What the sandbox has seen and done since start (or the last reset). */
export interface SandboxCounters {
  /** Requests routed to each operation, whatever happened to them. */
  requests: Record<SandboxOperation, number>;
  /** Requests refused by authentication, by check. */
  authFailures: Record<AuthFailureKind, number>;
  /** Faults injected, by operation and kind. */
  faults: Record<SandboxOperation, FaultCounts>;
  /** GatePay answers sent, by `code` (`"000000"` for success). */
  answers: Record<string, number>;
  /** Refunds recorded in the ledger (duplicates included). */
  refundsRecorded: number;
  /** Re-posts answered with the original in `idempotent` mode. */
  idempotentReplays: number;
  /** Re-posts refused in `reject` mode. */
  duplicateRejections: number;
  /** Details/query calls answered 400304 because of `detailsLagMs`. */
  detailsLagged: number;
  /** Requests to paths the sandbox does not serve. */
  unknownPaths: number;
  /** Webhook deliveries. */
  webhooks: WebhookCounters;
}

/** The counters the request path mutates (webhook counters live in the dispatcher). */
export type RequestCounters = Omit<SandboxCounters, "webhooks">;

/**
 * The live counters. {@link CounterBook.live} is replaced on reset, so holders read it
 * through the book each time rather than keeping the object.
 */
export class CounterBook {
  private counts: RequestCounters = emptyCounts();

  /** The counters to increment. */
  get live(): RequestCounters {
    return this.counts;
  }

  /** Counts one GatePay answer by its `code`. */
  countAnswer(code: string): void {
    this.counts.answers[code] = (this.counts.answers[code] ?? 0) + 1;
  }

  /** A deep copy, with the dispatcher's webhook counters. */
  snapshot(webhooks: WebhookCounters): SandboxCounters {
    return { ...structuredClone(this.counts), webhooks };
  }

  /** Every counter back to zero. */
  reset(): void {
    this.counts = emptyCounts();
  }
}

function emptyCounts(): RequestCounters {
  const perOp = <T>(make: () => T) =>
    Object.fromEntries(SANDBOX_OPERATIONS.map((op) => [op, make()])) as Record<SandboxOperation, T>;
  return {
    requests: perOp(() => 0),
    authFailures: {
      contentType: 0,
      clientId: 0,
      timestamp: 0,
      nonce: 0,
      nonceReuse: 0,
      signature: 0,
      onBehalfOf: 0,
    },
    faults: perOp(() => ({ http500: 0, http429: 0, dropBefore: 0, dropAfter: 0, slowAfter: 0 })),
    answers: {},
    refundsRecorded: 0,
    idempotentReplays: 0,
    duplicateRejections: 0,
    detailsLagged: 0,
    unknownPaths: 0,
  };
}
