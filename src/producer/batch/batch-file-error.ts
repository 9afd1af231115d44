/**
 * The error of a batch file that cannot be read as a whole (bytes that are not UTF-8, a
 * missing or unknown header, CSV syntax that cannot be recovered from, an unreadable
 * file). Problems of one row come back on the row instead (BatchRow.issues).
 */

/** Why a whole batch file is unreadable. */
export type BatchFileErrorCode =
  "format" | "io" | "encoding" | "header" | "syntax" | "line-too-long";

/**
 * The whole file is unreadable: nothing after `line` was read. `line` is 1-based and
 * absent when the problem is not at a line (unknown format, unreadable file).
 */
export class BatchFileError extends Error {
  override readonly name = "BatchFileError";

  constructor(
    readonly code: BatchFileErrorCode,
    message: string,
    readonly line?: number,
    options?: ErrorOptions,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`, options);
  }
}
