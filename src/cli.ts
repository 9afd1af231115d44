#!/usr/bin/env node
/**
 * Entry point of the `gatepay-refunds` command (package.json `bin`). Everything but the
 * process itself lives in src/cli/; see src/cli/output.ts for the exit codes.
 */
import { processIo } from "./cli/output.js";
import { runCli } from "./cli/program.js";

/** Time a finished command may take to release its handles before the exit is forced, ms. */
const EXIT_GRACE_MS = 3_000;

const exitCode = await runCli(process.argv, processIo());
process.exitCode = exitCode;
// Every command closes what it opened, so the process normally ends on its own; should a
// library keep a handle open, the command is still over and must not hang its caller.
setTimeout(() => process.exit(exitCode), EXIT_GRACE_MS).unref();
