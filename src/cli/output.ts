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
 * | 2    | `usage`      | bad flags or arguments; an invalid refund request (stderr: one `field: reason` line per problem); an invalid environment (stderr: one line per variable); `batch`: the file as a whole is unreadable or refused |
 * | 3    | `conflict`   | the refundRequestId is already used by a different refund (nothing changed) |
 * | 4    | `overRefund` | the refund would exceed the order amount: recorded as `rejected` / `OVER_REFUND`, nothing sent; the record is printed on stdout |
 *
 * Secrets never reach either stream: configuration errors come from {@link ConfigError},
 * which hides secret values, and nothing here prints an error's `cause` or stack unless
 * the error is unexpected (and then only its message).
 */
import { CommanderError } from "commander";
import { ConfigError } from "../config.js";
import {
  IdempotencyConflictError,
  OverRefundError,
  RefundNotFoundError,
  ValidationError,
} from "../domain/errors.js";

/** Exit codes of `gatepay-refunds` (see the table in this module's comment). */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  conflict: 3,
  overRefund: 4,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The process seams a command uses: its environment and its two output streams. */
export interface CliIo {
  /** The environment, read only through `loadConfig` (and for nothing secret printed). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes `text` and a newline to standard output. */
  out(text: string): void;
  /** Writes `text` and a newline to standard error. */
  err(text: string): void;
}

/** The real process: `process.env`, `process.stdout`, `process.stderr`. */
export function processIo(): CliIo {
  return {
    env: process.env,
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
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

/** Writes `value` to standard output as indented JSON (one document per call). */
export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/**
 * Writes what went wrong to standard error and returns the exit code for `err`:
 * - {@link CliExit}: its message and code;
 * - commander's own errors: commander already wrote the message; help and version exit
 *   0, every other usage problem exits 2;
 * - {@link ConfigError}: one line per variable, exit 2;
 * - {@link ValidationError}: one `field: reason` line per problem, exit 2;
 * - {@link IdempotencyConflictError}: exit 3; {@link OverRefundError}: exit 4;
 * - {@link RefundNotFoundError}: exit 1;
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
  if (err instanceof ConfigError) {
    io.err(err.message);
    return EXIT_CODES.usage;
  }
  if (err instanceof ValidationError) {
    io.err(formatValidationError(err));
    return EXIT_CODES.usage;
  }
  if (err instanceof IdempotencyConflictError) {
    io.err(err.message);
    return EXIT_CODES.conflict;
  }
  if (err instanceof OverRefundError) {
    io.err(`over-refund: ${err.message}`);
    return EXIT_CODES.overRefund;
  }
  if (err instanceof RefundNotFoundError) {
    io.err(err.message);
    return EXIT_CODES.failure;
  }
  io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT_CODES.failure;
}

/** One `field: reason` line per problem (a problem with the whole input has no field). */
export function formatValidationError(err: ValidationError): string {
  return err.issues
    .map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`))
    .join("\n");
}
