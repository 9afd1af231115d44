/**
 * The `gatepay-refunds` command-line program: a thin shell over the library
 * (DESIGN.md "Public surfaces"). Every command lives in its own module and registers
 * itself on the program; adding one (`batch`, `demo`) is one entry in
 * {@link CLI_COMMANDS}.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerBatchCommands } from "./batch-command.js";
import { registerDemoCommand } from "./demo-command.js";
import { registerEnqueueCommand } from "./enqueue-command.js";
import { EXIT_CODES, reportError, type CliIo, type ExitCode } from "./output.js";
import { registerReplayCommand } from "./replay-command.js";
import { registerSandboxCommand } from "./sandbox-command.js";
import { registerStatusCommand } from "./status-command.js";
import { registerWorkerCommand } from "./worker-command.js";

/** Adds one subcommand to the program (with `program.command(…)`, so it inherits settings). */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/** The subcommands, in help order. */
export const CLI_COMMANDS: readonly RegisterCommand[] = [
  registerWorkerCommand,
  registerEnqueueCommand,
  registerBatchCommands,
  registerStatusCommand,
  registerReplayCommand,
  registerSandboxCommand,
  registerDemoCommand,
];

/**
 * The `version` of the package's package.json, read at run time: two folders up from this
 * module both in src/cli/ (tsx) and in dist/cli/ (the build), and at the package root when
 * installed, so the number printed is the one published.
 */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

/**
 * Builds the program. Commander never exits the process itself (`exitOverride`): its
 * usage errors come back as exceptions that {@link runCli} maps to exit code 2, and its
 * output goes through `io`.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command("gatepay-refunds")
    .description("Drive GatePay refunds through a Redis queue, exactly once.")
    .version(packageVersion(), "-V, --version", "print the version and exit")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, "")),
      writeErr: (text) => io.err(text.replace(/\n$/, "")),
    })
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 failure (unknown id, Redis unreachable, …), 2 usage or invalid " +
        "input/environment, 3 refundRequestId reused for another refund, 4 over-refund.",
    );
  for (const register of CLI_COMMANDS) register(program, io);
  return program;
}

/**
 * Runs the program on `argv` (as in `process.argv`: node, script, then arguments) and
 * resolves with the exit code; never throws, never calls `process.exit`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    await buildProgram(io).parseAsync([...argv]);
    return EXIT_CODES.ok;
  } catch (err) {
    return reportError(err, io);
  }
}
