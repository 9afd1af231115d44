/**
 * The shape of a batch run's row counts, shared by the producer (which counts rows as it
 * reads a file) and the store (which keeps the counts of a batch's last run in its
 * metadata). Pure data.
 */

/** File formats of a batch. */
export type BatchFileFormat = "csv" | "jsonl";

/** Row counts of one run over a file. */
export interface BatchRowCounts {
  /** Rows read (blank lines not counted). */
  rows: number;
  /** Rows that passed validation and were not repeats of an earlier row. */
  valid: number;
  /** Rows that failed validation. */
  invalid: number;
  /** Rows whose refundRequestId is on an earlier line. */
  duplicates: number;
  /** Valid rows that created a refund (over-refunds included). */
  created: number;
  /** Valid rows whose refund already existed. */
  existing: number;
  /** Valid rows whose id belongs to a different refund. */
  conflicts: number;
  /** Valid rows refused by the over-refund guard (counted in `created` too). */
  overRefunds: number;
}

/** Counts of a run that has read nothing yet. */
export function emptyBatchRowCounts(): BatchRowCounts {
  return {
    rows: 0,
    valid: 0,
    invalid: 0,
    duplicates: 0,
    created: 0,
    existing: 0,
    conflicts: 0,
    overRefunds: 0,
  };
}

/** Every count of {@link BatchRowCounts}, in order. */
export const BATCH_ROW_COUNT_FIELDS = Object.keys(
  emptyBatchRowCounts(),
) as readonly (keyof BatchRowCounts)[];
