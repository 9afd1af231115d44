/** The error of a `strict` run refusing a file with a bad row. */
import type { BatchRowCounts, BatchRowProblem } from "./batch-run.js";

/** The whole file was refused (`strict`): nothing was stored. */
export class BatchRefusedError extends Error {
  override readonly name = "BatchRefusedError";

  constructor(
    readonly counts: Pick<BatchRowCounts, "rows" | "valid" | "invalid" | "duplicates">,
    /** The first problems, in file order. */
    readonly problems: readonly BatchRowProblem[],
  ) {
    super(
      `refused the whole file (strict): ${counts.invalid} invalid and ${counts.duplicates} ` +
        `duplicate row(s) of ${counts.rows}; nothing was enqueued`,
    );
  }
}
