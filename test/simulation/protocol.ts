/**
 * The worker side of the simulation: the submit, poll and webhook processors, step for
 * step as src/worker/{submit-refund,poll-refund,apply-report,webhook-receiver}.ts do them,
 * written as generators so the scheduler can interleave, stall or kill them at every
 * I/O. Every decision is the project's own pure code, called here, not re-implemented:
 * decideSubmit, submitLeaseUntilMs, checkLeaseFence (submit-decision), mayWriteOwnFailure,
 * decideNotFound, decideSubmitFailure, eventForReport, applyRefundEvent (through the
 * store's compare-and-set), planNextPoll, and the GatePay classifier and report readers.
 * What is re-written is only the order of the I/O, which follows the real processors.
 */
import { decideNotFound } from "../../src/domain/not-found-decision.js";
import { mayWriteOwnFailure } from "../../src/domain/own-failure-write.js";
import type { GatePayReport } from "../../src/domain/gatepay-report.js";
import { eventForReport } from "../../src/domain/report-event.js";
import { applyRefundEvent, type RefundEvent } from "../../src/domain/refund-state.js";
import {
  checkLeaseFence,
  decideSubmit,
  submitClock,
  submitLeaseUntilMs,
  type SubmitDecisionSettings,
} from "../../src/domain/submit-decision.js";
import { decideSubmitFailure, type SubmitFailure } from "../../src/domain/submit-failure.js";
import { classifyFailure } from "../../src/gatepay/classify-failure.js";
import { reportFromCreate, reportFromDetails } from "../../src/gatepay/refund-report.js";
import type { OrderRefundResult, RefundDetails } from "../../src/gatepay/schemas.js";
import type { ClientResult } from "./sim-gatepay.js";
import type { SimStore, Stored } from "./sim-store.js";

/** What an actor waits for at a scheduling point. */
export type Yield =
  { kind: "io"; label: string } | { kind: "await"; label: string; box: Box<unknown> };
export type Gen<T> = Generator<Yield, T, unknown>;

/** A one-shot mailbox a simulated network answer is put in. */
export interface Box<T> {
  value?: T;
  filled: boolean;
  wake?: () => void;
}

export interface ProtocolSettings extends SubmitDecisionSettings {
  pollMaxDelayMs: number;
  pollDeadlineMs: number;
}

/** Which protections are on (the simulation switches them off one at a time). */
export interface ProtocolFlags {
  barrier: boolean;
  fence: boolean;
  secondNotFound: boolean;
}

/** What the protocol needs from the world. */
export interface ProtocolCtx {
  store: SimStore;
  settings: ProtocolSettings;
  flags: ProtocolFlags;
  /** The worker's local clock (Date.now) and monotonic clock: simulated real time. */
  localNow(): number;
  random(): number;
  /**
   * WAIT/WAITAOF on the connection that wrote in store epoch `epoch`: true when the
   * replica holds every write so far, false on timeout or when that master is gone.
   */
  barrier(epoch: number): boolean;
  post(req: {
    refundRequestId: string;
    prepayId: string;
    refundAmount: string;
  }): Box<ClientResult<Record<string, string>>>;
  details(id: string): Box<ClientResult<RefundDetails | null>>;
  /** Adds poll job `poll-<id>-<n>` due in `delayMs` unless it exists (deterministic ids). */
  schedulePoll(id: string, n: number, delayMs: number): void;
  note(msg: string): void;
}

/** One run of a submit job: who holds the lease, and which attempt it is. */
export interface SubmitRun {
  leaseOwner: string;
  attemptNo: number;
  lastAttempt: boolean;
}

/** How a submit run ends, in BullMQ's terms. */
export type SubmitResult =
  | { kind: "done"; outcome: string }
  | { kind: "delay"; ms: number }
  | { kind: "retry"; retryAfterMs: number | undefined }
  | { kind: "unrecoverable"; outcome: "rejected" | "dead" };

type CreateResult = OrderRefundResult;

export type Transition =
  { applied: true; stored: Stored } | { applied: false; stored: Stored | null; reason: string };

export function* io(label: string): Gen<void> {
  yield { kind: "io", label };
}

export function* wait<T>(label: string, box: Box<T>): Gen<T> {
  if (!box.filled) yield { kind: "await", label, box };
  return box.value as T;
}

export function* read(ctx: ProtocolCtx, id: string): Gen<Stored | null> {
  yield* io("HGET record");
  return ctx.store.get(id);
}

/** RefundStore.getWithClock: the record, then Redis's time, in one script (one step). */
function* readWithClock(
  ctx: ProtocolCtx,
  id: string,
): Gen<{ stored: Stored | null; nowMs: number; localAfterMs: number }> {
  yield* io("HGET record + TIME");
  return { stored: ctx.store.get(id), nowMs: ctx.store.nowMs(), localAfterMs: ctx.localNow() };
}

function* sharedNow(ctx: ProtocolCtx): Gen<number> {
  yield* io("TIME");
  return ctx.store.nowMs();
}

/** RefundStore.transition: apply purely, compare-and-set, re-read on a race. */
export function* transition(
  ctx: ProtocolCtx,
  id: string,
  event: RefundEvent,
  current: Stored | null,
  retryOnConflict = true,
): Gen<Transition> {
  let stored = current ?? (yield* read(ctx, id));
  let fresh = !current;
  for (let tries = 0; tries < 20; tries++) {
    if (!stored) return { applied: false, stored: null, reason: "no such refund" };
    const result = applyRefundEvent(stored.rec, event, ctx.localNow());
    if (!result.changed) {
      if (fresh || !retryOnConflict) return { applied: false, stored, reason: result.reason };
      stored = yield* read(ctx, id);
      fresh = true;
      continue;
    }
    yield* io(`CAS ${event.type}`);
    const written = ctx.store.cas(stored, result.record, result.attention);
    if (written) {
      ctx.note(`wrote ${event.type} → ${written.rec.state} (w${written.writeId})`);
      return { applied: true, stored: written };
    }
    if (!retryOnConflict)
      return { applied: false, stored: yield* read(ctx, id), reason: "conflict" };
    stored = yield* read(ctx, id);
    fresh = true;
  }
  throw new Error(`refund ${id}: gave up after 20 concurrent-write retries`);
}

/** apply-report.ts: the event a report means, written; poll 1 when just accepted. */
export function* applyReport(
  ctx: ProtocolCtx,
  stored: Stored,
  report: GatePayReport,
): Gen<Transition> {
  const event = eventForReport(stored.rec, report, ctx.localNow() + ctx.settings.pollDeadlineMs);
  const t = yield* transition(ctx, stored.rec.refundRequestId, event, stored);
  if (report.orderAmount && !stored.rec.gatepay?.orderAmount) {
    // GatePay's answer is the only source of the order's cap (issue 13 item 6); the real
    // store's HSET is folded into the transition's step here (no extra scheduling point).
    ctx.store.learnOrderAmount(stored.rec.request.prepayId, report.orderAmount);
  }
  if (t.applied && t.stored.rec.state === "accepted") {
    yield* io("add poll job");
    ctx.schedulePoll(stored.rec.refundRequestId, 1, ctx.settings.pollFirstDelayMs);
  }
  return t;
}

/** submit-refund.ts `processSubmit`: decide, do the I/O the decision names, decide again. */
export function* submitRun(ctx: ProtocolCtx, run: SubmitRun, id: string): Gen<SubmitResult> {
  for (let round = 0; round < 5; round++) {
    const reading = yield* readWithClock(ctx, id);
    const { stored } = reading;
    const rec = stored?.rec ?? null;
    // submit-refund.ts: "none" (a send, whatever the time) decides on no clock; its lease
    // is taken at this reading (no rate limiter here, so the reading is always recent).
    const now = submitClock(rec, run.leaseOwner) === "shared" ? reading.nowMs : ctx.localNow();
    const decision = decideSubmit(rec, now, run.leaseOwner, ctx.settings);
    ctx.note(`decide ${decision.action}${"reason" in decision ? ` (${decision.reason})` : ""}`);
    if (decision.action === "skip" || !stored) return { kind: "done", outcome: "skipped" };
    switch (decision.action) {
      case "ensure-poll-scheduled":
        yield* io("add poll job");
        ctx.schedulePoll(id, 1, decision.delayMs);
        return { kind: "done", outcome: "skipped" };
      case "wait-until":
        return { kind: "delay", ms: Math.max(0, decision.atMs - now) + 10 };
      case "look-up": {
        const r = yield* lookUp(ctx, run, stored, now);
        if (r === "re-send") continue;
        return r;
      }
      case "send": {
        const r = yield* leaseAndSend(ctx, run, stored, reading);
        if (r === "record-moved") continue;
        return r;
      }
    }
  }
  return { kind: "retry", retryAfterMs: undefined };
}

function* leaseAndSend(
  ctx: ProtocolCtx,
  run: SubmitRun,
  stored: Stored,
  reading: { nowMs: number; localAfterMs: number },
): Gen<SubmitResult | "record-moved"> {
  const rec = stored.rec;
  const leaseAt = reading.nowMs;
  const fenceStart = reading.localAfterMs;
  const started = yield* transition(
    ctx,
    rec.refundRequestId,
    {
      type: "submit-started",
      attempt: rec.attempts + 1,
      leaseOwner: run.leaseOwner,
      leaseUntilMs: submitLeaseUntilMs(leaseAt, ctx.settings),
      sentAtMs: leaseAt,
      onBehalfOf: null,
    },
    stored,
    false,
  );
  if (!started.applied) return "record-moved";
  // The master that acknowledged the intent (read in the same step as the write).
  const epoch = ctx.store.epoch;
  if (ctx.flags.barrier) {
    // DESIGN.md "Durability": the intent is durable before the POST leaves; no barrier, no send.
    yield* io("WAIT barrier");
    if (!ctx.barrier(epoch)) {
      ctx.note("barrier timed out: nothing sent");
      const failure: SubmitFailure = {
        action: "unknown-outcome",
        code: "DURABILITY_TIMEOUT",
        reason: "barrier timed out",
      };
      return yield* failAttempt(ctx, run, started.stored, failure, true);
    }
  }
  yield* io("POST leaves");
  // The fence is checked at the last moment before the POST leaves (after the barrier):
  // check and departure are one step here; a stall between them is not modelled.
  const lostMs = ctx.localNow() - fenceStart;
  const hold = ctx.flags.fence ? checkLeaseFence(lostMs, ctx.settings.leaseMarginMs) : null;
  if (hold) {
    ctx.note(`fence: lease took ${lostMs} ms to land; not sending`);
    return yield* failAttempt(ctx, run, started.stored, hold, true);
  }
  return yield* send(ctx, run, started.stored);
}

function* send(ctx: ProtocolCtx, run: SubmitRun, stored: Stored): Gen<SubmitResult> {
  const req = stored.rec.request;
  if (req.kind !== "order") throw new Error("the simulation sends order refunds");
  ctx.note(`POST refund ${req.refundRequestId} (attempt ${stored.rec.attempts})`);
  const res = yield* wait("POST answer", ctx.post(req));
  if (!res.ok) {
    const d = classifyFailure(res.error, "orderRefund");
    ctx.note(`POST failed: ${d.action}${d.code ? ` ${d.code}` : ""}`);
    return yield* failAttempt(ctx, run, stored, d, d.action === "unknown-outcome");
  }
  yield* applyReport(
    ctx,
    stored,
    reportFromCreate(res.value as unknown as CreateResult, new Date(ctx.localNow()).toISOString()),
  );
  return { kind: "done", outcome: "accepted" };
}

function* lookUp(
  ctx: ProtocolCtx,
  run: SubmitRun,
  stored: Stored,
  now: number,
): Gen<SubmitResult | "re-send"> {
  const id = stored.rec.refundRequestId;
  const res = yield* wait("GET details", ctx.details(id));
  if (!res.ok) {
    const d = classifyFailure(res.error, "refundDetails");
    return yield* failAttempt(ctx, run, stored, d, true);
  }
  if (res.value) {
    ctx.note(`look-up found ${res.value.status}`);
    yield* applyReport(
      ctx,
      stored,
      reportFromDetails(res.value, new Date(ctx.localNow()).toISOString()),
    );
    return { kind: "done", outcome: "found" };
  }
  const nf = ctx.flags.secondNotFound
    ? decideNotFound(stored.rec.submit.notFoundAtMs, now, ctx.settings.unknownOutcomeGraceMs)
    : ({ action: "confirm" } as const);
  ctx.note(`look-up: not found → ${nf.action}`);
  if (nf.action === "confirm") {
    yield* transition(ctx, id, { type: "not-found", confirmed: true }, stored, false);
    return "re-send";
  }
  if (nf.action === "note-first") {
    yield* transition(ctx, id, { type: "not-found", confirmed: false, atMs: now }, stored, false);
  }
  return { kind: "delay", ms: Math.max(0, nf.lookAgainAtMs - now) + 10 };
}

/** submit-refund.ts `writeOwn`: a failure never overwrites another run's lease or newer send. */
function* writeOwn(
  ctx: ProtocolCtx,
  run: SubmitRun,
  stored: Stored,
  event: RefundEvent,
): Gen<void> {
  const id = stored.rec.refundRequestId;
  const t = yield* transition(ctx, id, event, stored, false);
  if (t.applied || t.reason !== "conflict" || !t.stored) return;
  const fresh = t.stored;
  const now = yield* sharedNow(ctx);
  if (!mayWriteOwnFailure(stored.rec, fresh.rec, run.leaseOwner, now)) {
    ctx.note("leaves the record to a newer run");
    return;
  }
  yield* transition(ctx, id, event, fresh);
}

function* failAttempt(
  ctx: ProtocolCtx,
  run: SubmitRun,
  stored: Stored,
  failure: SubmitFailure,
  mayExist: boolean,
): Gen<SubmitResult> {
  const verdict = decideSubmitFailure({
    failure,
    mayExist,
    hadUnknownOutcome: stored.rec.submit.hadUnknownOutcome === true,
    attemptNo: run.attemptNo,
    lastAttempt: run.lastAttempt,
  });
  yield* writeOwn(ctx, run, stored, verdict.event);
  if (verdict.outcome === "retry") return { kind: "retry", retryAfterMs: verdict.retryAfterMs };
  return { kind: "unrecoverable", outcome: verdict.outcome };
}
