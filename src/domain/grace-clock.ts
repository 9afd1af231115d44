/**
 * Grace clocks across a change of Redis server (issue 12, README "Durability").
 *
 * A "not found" after an unknown outcome is believed only when a second look-up, at least
 * the grace period later, says it again (not-found-decision.ts). Both times are read from
 * Redis's clock (TIME), so workers agree. A failover or restart moves that clock to
 * another host (another `run_id`, another replication id): the elapsed time between a
 * note taken on the old server and "now" on the new one means nothing, and could be
 * anything, including more than the grace period at once. So a note taken under another
 * epoch is not trusted: the clock restarts (a new first note, the full grace again).
 * The same holds for every shared-clock time a record keeps (the lease's end, the last
 * send, the answer's arrival): {@link SubmitState.clockEpoch} says under which epoch they
 * were read, and under another one the submit processor restarts them from now
 * ({@link restartSubmitClock}) rather than trusting the elapsed time.
 * Pure.
 */
import type { SubmitState } from "./refund-record.js";

/** Now on the shared (Redis) clock and the epoch of the server it was read on, read together. */
export interface SharedClockReading {
  nowMs: number;
  /** `run_id:master_replid` of the server whose clock gave `nowMs` (durability.ts serverEpoch). */
  epoch: string;
}

/**
 * Whether a time stored under `storedEpoch` may be compared with a now read under
 * `currentEpoch`. Either unknown trusts (records and workers from before epochs were kept):
 * the epoch is only ever used to distrust.
 */
export function sameClock(
  storedEpoch: string | undefined,
  currentEpoch: string | undefined,
): boolean {
  return storedEpoch === undefined || currentEpoch === undefined || storedEpoch === currentEpoch;
}

/** A noted "not found": when (shared clock, ms) and under which server epoch. */
export interface GraceNote {
  notFoundAtMs?: number | undefined;
  notFoundEpoch?: string | undefined;
}

export type GraceNoteVerdict =
  /** No note yet. */
  | { note: "none" }
  /** A note taken under this epoch (or before epochs were kept): its time is trusted. */
  | { note: "trusted"; atMs: number }
  /** A note taken under another epoch: restart the grace clock. */
  | { note: "restart"; previousEpoch: string };

/**
 * Whether a noted "not found" may be compared with now. `currentEpoch` undefined (not
 * known) trusts the note: the epoch is only ever used to distrust.
 */
export function judgeGraceNote(
  note: GraceNote,
  currentEpoch: string | undefined,
): GraceNoteVerdict {
  if (note.notFoundAtMs === undefined) return { note: "none" };
  const noted = note.notFoundEpoch;
  if (noted !== undefined && currentEpoch !== undefined && noted !== currentEpoch) {
    return { note: "restart", previousEpoch: noted };
  }
  return { note: "trusted", atMs: note.notFoundAtMs };
}

/**
 * The shared-clock times of a record re-based on a new server's clock (a restart or
 * failover since they were read): the lease of another run, if any, is held a full lease
 * from now; the last send is taken as leaving now, so the look-up waits the timeout and the
 * grace again; an answer time and a "not found" note are forgotten. Only ever later than
 * trusting the old times could be: nothing is looked up or sent sooner.
 */
export interface ClockRestartedEvent {
  type: "clock-restarted";
  /** Now on the new server's clock (shared clock, ms). */
  atMs: number;
  /** The new server's epoch, read with `atMs`. */
  epoch: string;
  /** The end of a full lease taken at `atMs` (submit-decision.ts submitLeaseUntilMs). */
  leaseUntilMs: number;
}

/** Applies a {@link ClockRestartedEvent} to `submit` (a copy the state machine owns). */
export function restartSubmitClock(submit: SubmitState, event: ClockRestartedEvent): void {
  submit.clockEpoch = event.epoch;
  if (submit.lastSentAtMs !== undefined) submit.lastSentAtMs = event.atMs;
  if (submit.leaseOwner !== undefined) submit.leaseUntilMs = event.leaseUntilMs;
  delete submit.answeredAtMs;
  // 0 is not a time: a replay's "one not-found is enough" (refund-state.ts) stays.
  if (submit.notFoundAtMs !== 0) {
    delete submit.notFoundAtMs;
    delete submit.notFoundEpoch;
  }
}
