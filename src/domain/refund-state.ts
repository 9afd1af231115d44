/**
 * Refund states and the one pure function that moves a record between them.
 *
 * Invariants (why this file exists):
 * - `succeeded`, `failed` and `rejected` are terminal: nothing changes them, so a late
 *   webhook, a stale poll or a replay can never undo a money movement's known outcome.
 * - Nothing moves backwards: a `REFUND_PROCESS` after `processing`, or an "accepted" POST
 *   answer arriving after a webhook already said `processing`, changes nothing.
 * - `dead` and `stuck` are final for automation (they wait for a human) but not
 *   terminal: a replay re-drives them, and a later final status from GatePay (webhook or
 *   poll) settles them, because GatePay's word about money is better than our give-up.
 */
import { restartSubmitClock, sameClock, type ClockRestartedEvent } from "./grace-clock.js";
import { noteAttention, type RefundAttention } from "./attention.js";
import {
  REFUND_STATES,
  type RefundState,
  type GatePayAnswer,
  type RefundError,
  type RefundHistoryEntry,
  type RefundRecord,
  type RefundRequestFields,
} from "./refund-record.js";

export { REFUND_STATES };
export type { RefundState };

/** Outcomes nothing can change. */
export const TERMINAL_STATES: ReadonlySet<RefundState> = new Set([
  "succeeded",
  "failed",
  "rejected",
]);

/** DESIGN.md's final states: automation is done with the refund (dead/stuck await a human). */
export const FINAL_STATES: ReadonlySet<RefundState> = new Set([
  "succeeded",
  "failed",
  "rejected",
  "dead",
  "stuck",
]);

export function isTerminalState(state: RefundState): boolean {
  return TERMINAL_STATES.has(state);
}

export function isFinalState(state: RefundState): boolean {
  return FINAL_STATES.has(state);
}

/** Everything that can happen to a refund. Times are epoch ms. */
export type RefundEvent =
  /** A worker is about to POST (attempt n), holding a lease until `leaseUntilMs`. */
  | {
      type: "submit-started";
      attempt: number;
      leaseOwner: string;
      leaseUntilMs: number;
      /** When the POST leaves, on the shared (Redis) clock; default the transition time. */
      sentAtMs?: number;
      /** The server epoch `sentAtMs` and `leaseUntilMs` were read under (grace-clock.ts). */
      epoch?: string;
      /**
       * The mode the refund is sent in, kept so every lookup uses the same account:
       * a sub-account id, or null for merchant mode.
       */
      onBehalfOf?: string | null;
    }
  /**
   * A submit attempt ended without an answer that settles the refund. `mayExist` says
   * whether GatePay may hold the refund now (unknown outcome) or certainly does not.
   */
  | {
      type: "submit-deferred";
      mayExist: boolean;
      error: Omit<RefundError, "at">;
      /**
       * The send this deferral describes: the record's `attempts` when its run sent (or
       * looked up). A deferral lowers `mayExist` only when this is still the latest send;
       * a stalled run's late failure must not clear a later run's unknown outcome.
       */
      sentAttempt?: number;
      /** When an answer to the send arrived (shared clock, ms); absent when none came. */
      answeredAtMs?: number;
      /** The server epoch `answeredAtMs` was read under: kept only under the send's. */
      answeredEpoch?: string;
    }
  /**
   * GatePay does not know the refund. One answer is not believed: only a second
   * "not found", at least the grace period after the first (`confirmed`), clears
   * `mayExist` and allows a re-send (GatePay's read side may lag, gatepay-api.md §6.5).
   */
  | {
      type: "not-found";
      confirmed: boolean;
      atMs?: number;
      /** The Redis server epoch the time was read under (grace-clock.ts). */
      epoch?: string;
      /** Replace an earlier note taken under another epoch (the grace clock restarts). */
      restart?: boolean;
    }
  | ClockRestartedEvent
  /** GatePay has the refund (POST answer, or a lookup found it). */
  | { type: "accepted"; answer: GatePayAnswer; deadlineAtMs: number }
  /** GatePay reports the refund in progress (poll, webhook). */
  | { type: "in-progress"; answer: GatePayAnswer }
  | { type: "succeeded"; answer: GatePayAnswer }
  | { type: "failed"; answer: GatePayAnswer; error?: Omit<RefundError, "at"> }
  /** GatePay refused the request: no refund exists. */
  | { type: "rejected"; error: Omit<RefundError, "at">; answer?: GatePayAnswer }
  /**
   * The over-refund guard refused a new refund before it was stored: it is stored
   * `rejected` at once, nothing reserved, nothing sent (see over-refund.ts).
   */
  | { type: "over-refund"; error: Omit<RefundError, "at"> }
  /** Retryable errors outlasted the attempts, or an operator must act. */
  | { type: "dead"; error: Omit<RefundError, "at"> }
  /**
   * GatePay answered about another request under this refundRequestId (answer-match.ts):
   * never adopted; any non-terminal refund goes `dead` for a human.
   */
  | { type: "answer-mismatch"; error: Omit<RefundError, "at"> }
  /** Accepted, but no final status before the poll deadline. */
  | { type: "stuck"; error: Omit<RefundError, "at"> }
  /** An operator replays a dead or stuck refund; it re-checks GatePay first. */
  | { type: "replayed"; deadlineAtMs?: number }
  /**
   * The reconciler found no live job driving a non-final refund (a job lost to a crash
   * or failed by BullMQ) and re-drives it with a new job generation. No state change.
   */
  | { type: "redriven" };

export type TransitionResult =
  /** `attention`: the state is unchanged; a contradiction was noted (attention.ts). */
  | { changed: true; record: RefundRecord; attention?: RefundAttention }
  | { changed: false; record: RefundRecord; reason: string };

/** Order of progress; a GatePay report never moves a refund to a lower rank. */
const RANK: Record<RefundState, number> = {
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

/** Where each event may come from, and where it goes. */
function target(record: RefundRecord, event: RefundEvent): string {
  const s = record.state;
  switch (event.type) {
    case "submit-started":
      return s === "queued" || s === "submitting" ? "submitting" : `cannot submit from ${s}`;
    case "submit-deferred":
    case "not-found":
    case "clock-restarted":
      return s === "submitting" || s === "queued" ? s : `no submit in progress (${s})`;
    case "accepted":
      // A lookup after a replay (dead) or a late POST answer may report acceptance;
      // it only ever moves a refund forward.
      return RANK[s] < RANK.accepted || s === "dead" ? "accepted" : `already ${s}`;
    case "in-progress":
      // Only an accepted refund (with its poll deadline) moves on to processing; before
      // acceptance a sign of life is an "accepted" event. A stuck refund stays stuck
      // until a final status or a replay: it waits for a human.
      return s === "accepted" ? "processing" : `not accepted or already past it (${s})`;
    case "succeeded":
      return "succeeded";
    case "failed":
      return "failed";
    case "rejected":
      return s === "queued" || s === "submitting" ? "rejected" : `cannot reject from ${s}`;
    case "over-refund":
      // Decided while creating the record: only a record nobody has written yet.
      return s === "queued" && record.version === 1 ? "rejected" : `not a new refund (${s})`;
    case "dead":
      return s === "queued" || s === "submitting" ? "dead" : `cannot give up from ${s}`;
    case "answer-mismatch":
      return s === "dead" ? "already dead" : "dead";
    case "stuck":
      return s === "accepted" || s === "processing" ? "stuck" : `cannot be stuck from ${s}`;
    case "replayed":
      return s === "dead"
        ? "queued"
        : s === "stuck"
          ? "accepted"
          : `only dead or stuck refunds replay (${s})`;
    case "redriven":
      return s === "queued" || s === "submitting" || s === "accepted" || s === "processing"
        ? s
        : `nothing to re-drive in ${s}`;
  }
}

function isState(x: string): x is RefundState {
  return (REFUND_STATES as readonly string[]).includes(x);
}

function noteFor(event: RefundEvent): string | undefined {
  switch (event.type) {
    case "submit-started":
      return `attempt ${event.attempt}`;
    case "submit-deferred":
    case "rejected":
    case "over-refund":
    case "dead":
    case "answer-mismatch":
    case "stuck":
      return event.error.code;
    case "failed":
      return event.error?.code ?? event.answer.status;
    case "accepted":
    case "in-progress":
    case "succeeded":
      return event.answer.status ?? event.answer.source;
    case "not-found":
    case "clock-restarted":
    case "replayed":
    case "redriven":
      return undefined;
  }
}

/**
 * A new refund's first record: `queued`, version 1, nothing sent, one `created` history
 * entry. With {@link applyRefundEvent}, the only places a record's state and history are built.
 */
export function createRefundRecord(
  request: RefundRequestFields,
  nowMs: number,
  batchId?: string,
): RefundRecord {
  const at = new Date(nowMs).toISOString();
  const record: RefundRecord = {
    refundRequestId: request.refundRequestId,
    kind: request.kind,
    request,
    state: "queued",
    attempts: 0,
    history: [{ state: "queued", at, event: "created" }],
    createdAt: at,
    updatedAt: at,
    submit: { mayExist: false, generation: 0 },
    version: 1,
  };
  if (batchId !== undefined) record.batchId = batchId;
  return record;
}

/**
 * Applies one event to a record, purely. Returns the new record (version bumped, history
 * appended) or the unchanged record with the reason the event was ignored. Callers persist
 * the new record with a compare-and-set on `version`.
 */
export function applyRefundEvent(
  record: RefundRecord,
  event: RefundEvent,
  nowMs: number,
): TransitionResult {
  if (isTerminalState(record.state)) {
    const noted = noteAttention(record, event, nowMs);
    if (noted?.attention) return { changed: true, record: noted, attention: noted.attention };
    return { changed: false, record, reason: `terminal state ${record.state}` };
  }
  const to = target(record, event);
  if (!isState(to)) return { changed: false, record, reason: to };

  const at = new Date(nowMs).toISOString();
  const next: RefundRecord = {
    ...record,
    state: to,
    submit: { ...record.submit },
    updatedAt: at,
    version: record.version + 1,
  };
  const entry: RefundHistoryEntry = { state: to, at, event: event.type };
  const note = noteFor(event);
  if (note !== undefined) entry.note = note;
  next.history = [...record.history, entry];

  switch (event.type) {
    case "submit-started":
      // An earlier send that may exist (a run killed mid-POST writes no deferral) is an
      // unknown outcome: a permanent refusal of this send must not release the money.
      if (record.submit.mayExist) next.submit.hadUnknownOutcome = true;
      next.attempts = event.attempt;
      next.submit.mayExist = true;
      next.submit.lastSentAtMs = event.sentAtMs ?? nowMs;
      next.submit.leaseOwner = event.leaseOwner;
      next.submit.leaseUntilMs = event.leaseUntilMs;
      if (event.onBehalfOf !== undefined) next.submit.onBehalfOf = event.onBehalfOf;
      next.submit.clockEpoch = event.epoch; // undefined (unknown) drops the old one
      delete next.submit.notFoundAtMs;
      delete next.submit.notFoundEpoch;
      delete next.submit.answeredAtMs;
      break;
    case "submit-deferred":
      // A refused connection proves this run's send created nothing, a timeout or 5xx
      // leaves the outcome unknown. "Nothing created" speaks only for the latest send:
      // after another run has sent since (or without a stamp), "may exist" never drops.
      next.submit.mayExist =
        event.mayExist || (record.submit.mayExist && event.sentAttempt !== record.attempts);
      if (event.mayExist) next.submit.hadUnknownOutcome = true;
      // An answer timed on another server's clock than the send is dropped (grace-clock.ts).
      if (sameClock(record.submit.clockEpoch, event.answeredEpoch)) {
        if (event.answeredAtMs !== undefined) next.submit.answeredAtMs = event.answeredAtMs;
      }
      delete next.submit.leaseOwner;
      delete next.submit.leaseUntilMs;
      next.lastError = { ...event.error, at };
      break;
    case "not-found":
      // A look-up happens only after an unknown outcome: remember it (submit-failure.ts).
      next.submit.hadUnknownOutcome = true;
      if (event.confirmed) {
        next.submit.mayExist = false;
        delete next.submit.notFoundAtMs;
        delete next.submit.notFoundEpoch;
      } else {
        const keep = record.submit.notFoundAtMs !== undefined && event.restart !== true;
        next.submit.notFoundAtMs = keep
          ? (record.submit.notFoundAtMs ?? nowMs)
          : (event.atMs ?? nowMs);
        if (!keep && event.epoch !== undefined) next.submit.notFoundEpoch = event.epoch;
      }
      break;
    case "accepted":
      next.gatepay = event.answer;
      next.poll = { acceptedAtMs: nowMs, deadlineAtMs: event.deadlineAtMs };
      clearLease(next);
      break;
    case "in-progress":
    case "succeeded":
      next.gatepay = event.answer;
      clearLease(next);
      break;
    case "failed":
      next.gatepay = event.answer;
      if (event.error) next.lastError = { ...event.error, at };
      clearLease(next);
      break;
    case "rejected":
      if (event.answer) next.gatepay = event.answer;
      next.lastError = { ...event.error, at };
      next.submit.mayExist = false;
      clearLease(next);
      break;
    case "over-refund":
      next.lastError = { ...event.error, at };
      next.submit.mayExist = false;
      break;
    case "dead":
    case "answer-mismatch":
    case "stuck":
      next.lastError = { ...event.error, at };
      clearLease(next);
      break;
    case "clock-restarted":
      restartSubmitClock(next.submit, event);
      break;
    case "redriven":
      next.submit.generation = record.submit.generation + 1;
      break;
    case "replayed":
      next.submit.generation = record.submit.generation + 1;
      // A replay re-checks GatePay before any send when anything was ever sent.
      delete next.submit.notFoundEpoch;
      if (to === "queued" && record.attempts > 0) {
        next.submit.mayExist = true;
        if (!record.submit.mayExist && !record.submit.hadUnknownOutcome) {
          // All earlier attempts were refused outright (nothing exists): one not-found does.
          next.submit.notFoundAtMs = 0;
        } else {
          delete next.submit.notFoundAtMs;
        }
      } else if (to === "queued") {
        next.submit.mayExist = false;
      }
      if (to === "accepted") {
        // A stuck refund may lack poll bookkeeping (it reached processing through an
        // in-progress report, which carries no deadline). The poll worker ignores an
        // accepted record without `poll`, so a replay's deadline must start one here.
        const deadlineAtMs = event.deadlineAtMs ?? record.poll?.deadlineAtMs;
        if (deadlineAtMs !== undefined) {
          next.poll = { acceptedAtMs: record.poll?.acceptedAtMs ?? nowMs, deadlineAtMs };
        }
      }
      break;
  }
  return { changed: true, record: next };
}

function clearLease(record: RefundRecord): void {
  delete record.submit.leaseOwner;
  delete record.submit.leaseUntilMs;
}
