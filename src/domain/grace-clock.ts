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
 * Pure.
 */

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
