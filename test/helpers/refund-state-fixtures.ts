/**
 * Shared fixtures of the refund state machine's tests (test/unit/refund-state-*.test.ts):
 * records in each state, one event of each type, and the expected transition table.
 */
import type { GatePayAnswer, RefundRecord } from "../../src/domain/refund-record.js";
import { type RefundEvent, type RefundState } from "../../src/domain/refund-state.js";

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function answer(status: string, source: GatePayAnswer["source"] = "details"): GatePayAnswer {
  return { source, at: new Date(T0).toISOString(), status, gateRefundId: "g-1" };
}

/** A record in `state`, as if it had got there; `extra` overrides fields. */
export function recordIn(state: RefundState, extra: Partial<RefundRecord> = {}): RefundRecord {
  const at = new Date(T0 - 60_000).toISOString();
  return {
    refundRequestId: "r-1",
    kind: "order",
    request: {
      kind: "order",
      refundRequestId: "r-1",
      prepayId: "1991810932510167040",
      refundAmount: "10",
    },
    state,
    attempts: 0,
    history: [{ state: "queued", at, event: "created" }],
    createdAt: at,
    updatedAt: at,
    submit: { mayExist: false, generation: 0 },
    version: 1,
    ...extra,
  };
}

export type EventType = RefundEvent["type"];

/** One representative event of each type. */
export const EVENTS: { [K in EventType]: Extract<RefundEvent, { type: K }> } = {
  "submit-started": {
    type: "submit-started",
    attempt: 2,
    leaseOwner: "w-1",
    leaseUntilMs: T0 + 30_000,
  },
  "submit-deferred": {
    type: "submit-deferred",
    mayExist: true,
    error: { code: "TIMEOUT", message: "no answer in 10000 ms" },
  },
  "not-found": { type: "not-found", confirmed: true },
  "clock-restarted": {
    type: "clock-restarted",
    atMs: T0 + 5_000,
    epoch: "run-b:repl-b",
    leaseUntilMs: T0 + 35_000,
  },
  accepted: {
    type: "accepted",
    answer: answer("PROCESSING", "create"),
    deadlineAtMs: T0 + 3_600_000,
  },
  "in-progress": { type: "in-progress", answer: answer("PROCESSING") },
  succeeded: { type: "succeeded", answer: answer("SUCCESS") },
  failed: { type: "failed", answer: answer("FAIL"), error: { code: "REFUND_FAIL", message: "x" } },
  rejected: { type: "rejected", error: { code: "400608", message: "exceeds order" } },
  "over-refund": { type: "over-refund", error: { code: "OVER_REFUND", message: "exceeds order" } },
  dead: { type: "dead", error: { code: "300000", message: "system error, attempts exhausted" } },
  "answer-mismatch": {
    type: "answer-mismatch",
    error: { code: "ANSWER_MISMATCH", message: "another request's answer" },
  },
  stuck: { type: "stuck", error: { code: "POLL_DEADLINE", message: "no final status" } },
  replayed: { type: "replayed", deadlineAtMs: T0 + 7_200_000 },
  redriven: { type: "redriven" },
};
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

/**
 * The whole transition table, written out independently of the implementation: the state
 * each event leads to from each state, or `null` when the event is refused.
 */
export const TABLE: Record<RefundState, Record<EventType, RefundState | null>> = {
  queued: {
    "submit-started": "submitting",
    "submit-deferred": "queued",
    "not-found": "queued",
    "clock-restarted": "queued",
    accepted: "accepted",
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: "rejected",
    "over-refund": "rejected",
    dead: "dead",
    "answer-mismatch": "dead",
    stuck: null,
    replayed: null,
    redriven: "queued",
  },
  submitting: {
    "submit-started": "submitting",
    "submit-deferred": "submitting",
    "not-found": "submitting",
    "clock-restarted": "submitting",
    accepted: "accepted",
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: "rejected",
    "over-refund": null,
    dead: "dead",
    "answer-mismatch": "dead",
    stuck: null,
    replayed: null,
    redriven: "submitting",
  },
  accepted: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    "clock-restarted": null,
    accepted: null,
    "in-progress": "processing",
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": "dead",
    stuck: "stuck",
    replayed: null,
    redriven: "accepted",
  },
  processing: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    "clock-restarted": null,
    accepted: null,
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": "dead",
    stuck: "stuck",
    replayed: null,
    redriven: "processing",
  },
  // Terminal states stay: a contradicting GatePay report only notes `attention`
  // (domain/attention.ts; test/unit/attention.test.ts), with the state unchanged.
  succeeded: { ...allRefused(), failed: "succeeded" },
  failed: { ...allRefused(), accepted: "failed", "in-progress": "failed", succeeded: "failed" },
  rejected: {
    ...allRefused(),
    accepted: "rejected",
    "in-progress": "rejected",
    succeeded: "rejected",
  },
  dead: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    "clock-restarted": null,
    accepted: "accepted",
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": null,
    stuck: null,
    replayed: "queued",
    redriven: null,
  },
  stuck: {
    "submit-started": null,
    "submit-deferred": null,
    "not-found": null,
    "clock-restarted": null,
    accepted: null,
    "in-progress": null,
    succeeded: "succeeded",
    failed: "failed",
    rejected: null,
    "over-refund": null,
    dead: null,
    "answer-mismatch": "dead",
    stuck: null,
    replayed: "accepted",
    redriven: null,
  },
};

export function allRefused(): Record<EventType, null> {
  return Object.fromEntries(EVENT_TYPES.map((t) => [t, null])) as Record<EventType, null>;
}

/** Progress order of the design: a GatePay report never moves a refund down it. */
export const PROGRESS: Record<RefundState, number> = {
  queued: 0,
  dead: 0,
  submitting: 1,
  accepted: 2,
  stuck: 2,
  processing: 3,
  succeeded: 4,
  failed: 4,
  rejected: 4,
};
export const GATEPAY_REPORTS = new Set<EventType>([
  "accepted",
  "in-progress",
  "succeeded",
  "failed",
]);

/** Freezes deeply, so any mutation of the input by the pure function throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
