/**
 * What the CLI writes and how it ends: the exit codes (one table, below), the
 * standard-output/standard-error seam every command writes through, and the mapping of
 * every error to one clear message and one exit code.
 *
 * Exit codes of `gatepay-refunds`:
 *
 * | code | name         | when |
 * |------|--------------|------|
 * | 0    | `ok`         | done; `enqueue` created the refund or found the same request already there; `worker` / `sandbox` stopped by SIGTERM or SIGINT |
 * | 1    | `failure`    | unknown refund id; a refund that cannot be replayed; Redis unreachable; a second signal during shutdown; `batch`: some row did not make a refund that succeeded or is on its way; anything unexpected |
 * | 2    | `usage`      | bad flags or arguments; an invalid refund request (stderr: one `field: reason` line per problem); an invalid environment (stderr: one line per variable); Redis refuses the credentials of `REDIS_URL` (one `REDIS_AUTH_FAILED: …` line); `batch`: the file as a whole is unreadable or refused |
 * | 3    | `conflict`   | the refundRequestId is already used by a different refund (nothing changed) |
 * | 4    | `overRefund` | the refund would exceed the order amount: recorded as `rejected` / `OVER_REFUND`, nothing sent; the record is printed on stdout |
 *
 * The numbers are {@link EXIT_CODES}; which typed error ends with which is the one table in
 * `src/domain/error-codes.ts`, shared with the HTTP API's status codes.
 *
 * Secrets never reach either stream: configuration errors come from `ConfigError`, which
 * hides secret values, and nothing here prints an error's `cause` or stack unless the error
 * is unexpected (and then only its message).
 */
import { CommanderError } from "commander";
import { ERROR_CODES, EXIT_CODES, type ErrorCode, type ExitCode } from "../domain/error-codes.js";
import { CodedError, type FieldIssue } from "../domain/errors.js";
import { terminalJson, terminalText } from "./terminal-text.js";

export { EXIT_CODES, type ExitCode };

/** The process seams a command uses: its environment and its two output streams. */
export interface CliIo {
  /** The environment, read only through `loadConfig` (and for nothing secret printed). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes `text` and a newline to standard output. */
  out(text: string): void;
  /** Writes `text` and a newline to standard error. */
  err(text: string): void;
}

/**
 * The real process: `process.env`, `process.stdout`, `process.stderr`. Every line passes
 * through `terminalText` (./terminal-text.ts): records and files carry text the CLI does
 * not control, and no escape sequence from them may reach the operator's terminal.
 */
export function processIo(): CliIo {
  return {
    env: process.env,
    out: (text) => void process.stdout.write(`${terminalText(text)}\n`),
    err: (text) => void process.stderr.write(`${terminalText(text)}\n`),
  };
}

/**
 * Ends a command with `exitCode`, writing `message` (one or more lines) to standard
 * error when given. Commands throw it; {@link reportError} turns it into the exit code.
 */
export class CliExit extends Error {
  override readonly name = "CliExit";

  constructor(
    readonly exitCode: ExitCode,
    message = "",
  ) {
    super(message);
  }
}

/**
 * Writes `value` to standard output as indented JSON (one document per call); control
 * characters in strings are `\u` escapes, so the data is exact and the terminal safe.
 */
export function printJson(io: CliIo, value: unknown): void {
  io.out(terminalJson(value));
}

/**
 * Writes what went wrong to standard error and returns the exit code for `err`:
 * - {@link CliExit}: its message and code;
 * - commander's own errors: commander already wrote the message; help and version exit
 *   0, every other usage problem exits 2;
 * - a typed error ({@link CodedError}: invalid config or request, id conflict,
 *   over-refund, unknown refund): its message (a validation error: one `field: reason`
 *   line per problem) and the exit code `ERROR_CODES` gives its code;
 * - anything else: `error: <message>`, exit 1.
 */
export function reportError(err: unknown, io: CliIo): ExitCode {
  if (err instanceof CliExit) {
    if (err.message !== "") io.err(err.message);
    return err.exitCode;
  }
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  }
  if (err instanceof CodedError) {
    io.err(describeCodedError(err));
    return ERROR_CODES[err.code].exitCode;
  }
  io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT_CODES.failure;
}

/** Words put before a typed error's message on standard error, by code. */
const MESSAGE_PREFIXES: Partial<Record<ErrorCode, string>> = {
  OVER_REFUND: "over-refund: ",
  REDIS_AUTH_FAILED: "REDIS_AUTH_FAILED: ",
};

/** What standard error shows of a typed error. */
function describeCodedError(err: CodedError): string {
  // A validation error's issues are the whole story, one per line; other errors' issues
  // (a conflict's differing fields) are already named in their one-line message.
  if (err.code === "VALIDATION_ERROR" && err.issues) return formatIssues(err.issues);
  return `${MESSAGE_PREFIXES[err.code] ?? ""}${err.message}`;
}

/** One `field: reason` line per problem (a problem with the whole input has no field). */
function formatIssues(issues: readonly FieldIssue[]): string {
  return issues
    .map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`))
    .join("\n");
}
