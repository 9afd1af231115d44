/**
 * `gatepay-refunds batch FILE` and `gatepay-refunds batch-status ID`: bulk refunds from a
 * CSV or JSONL file, a thin shell over src/producer/enqueue-batch.ts.
 *
 * Standard output gets the summaries (or one JSON document with `--json`); standard error
 * gets the row problems as they are found and the progress: a single redrawn line on a
 * terminal, a plain line every few seconds otherwise (logs, CI).
 *
 * Exit codes of `batch` (see output.ts for the table of all commands):
 * - 0: every row made a refund that succeeded (with `--wait`), or that is on its way
 *   with no problem known yet (without it);
 * - 1: some row did not: invalid, repeated, its id reused, refused for over-refund, or
 *   its refund ended failed / rejected / dead / stuck (or the wait timed out);
 * - 2: the file as a whole: unreadable (encoding, header, CSV syntax), refused by
 *   `--strict`, or bad flags.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../config.js";
import { BatchFileError } from "../producer/batch/index.js";
import {
  BatchRefusedError,
  checkReportPath,
  generateBatchId,
  getBatchInfo,
  runBatch,
  summarizeBatch,
  type BatchProgress,
  type BatchRowProblem,
  type BatchRun,
  type BatchSummary,
} from "../producer/batch/index.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import { watchBatch, type WatchBatchDeps } from "./batch-progress.js";
import { describeBatch, describeRun, describeSummary, formatProblem } from "./batch-text.js";
import { integerOption } from "./option-parsers.js";
import { CliExit, EXIT_CODES, printJson } from "./output.js";
import { withProducer } from "./with-producer.js";

// The demo follows its batch with the same code (src/demo/run-demo.ts).
export { watchBatch, type ProgressOutput } from "./batch-progress.js";
export { describeRun, describeSummary } from "./batch-text.js";

/** What the batch commands need: the CLI's io, and optionally where progress goes. */
export type BatchCommandDeps = WatchBatchDeps;

/** Problems listed on standard error by default; the report has them all. */
const DEFAULT_MAX_LISTED = 100;
/** Seconds between plain progress lines when standard error is not a terminal. */
const DEFAULT_PROGRESS_EVERY_S = 10;

interface BatchFlags {
  batchId?: string;
  strict?: boolean;
  format?: "csv" | "jsonl";
  wait?: boolean;
  report?: string;
  timeout?: number;
  progressEvery: number;
  maxListed: number;
  json?: boolean;
}

interface StatusFlags {
  json?: boolean;
  wait?: boolean;
  timeout?: number;
  progressEvery: number;
}

/** Registers `batch FILE` and `batch-status ID` on `program`. */
export function registerBatchCommands(program: Command, deps: BatchCommandDeps): void {
  program
    .command("batch")
    .description(
      "enqueue every refund of a CSV or JSONL file under one batch id; list bad rows with " +
        "their line numbers; --wait follows it to the end (exit 0 every refund succeeded, " +
        "1 some did not or some rows were bad, 2 the file as a whole was refused)",
    )
    .argument("<file>", "CSV with a header row, or JSONL (one object per line)")
    .option("--batch-id <id>", "batch id, 1-64 of [A-Za-z0-9_.-] (default: generated)")
    .option("--strict", "refuse the whole file when any row is bad (nothing is enqueued)")
    .addOption(
      new Option("--format <format>", "file format (default: from the extension)").choices([
        "csv",
        "jsonl",
      ]),
    )
    .option("--wait", "show progress until every refund is final, then a summary by state")
    .option("--report <file>", "write every row's outcome to a .csv, .json or .jsonl file")
    .option("--timeout <seconds>", "with --wait: stop waiting after this long", positiveSeconds)
    .option(
      "--progress-every <seconds>",
      "seconds between progress lines when stderr is not a terminal",
      positiveSeconds,
      DEFAULT_PROGRESS_EVERY_S,
    )
    .option(
      "--max-listed <n>",
      "bad rows listed on stderr (the report lists all)",
      integerOption(0, 1_000_000),
      DEFAULT_MAX_LISTED,
    )
    .option("--json", "print the summary as one JSON document")
    .action((file: string, flags: BatchFlags) => runBatchCommand(file, flags, deps));

  program
    .command("batch-status")
    .description("show a batch: its file, row counts and its refunds by state")
    .argument("<batchId>", "the batch id")
    .option("--json", "print the batch as JSON")
    .option("--wait", "show progress until every refund of the batch is final")
    .option("--timeout <seconds>", "with --wait: stop waiting after this long", positiveSeconds)
    .option(
      "--progress-every <seconds>",
      "seconds between progress lines when stderr is not a terminal",
      positiveSeconds,
      DEFAULT_PROGRESS_EVERY_S,
    )
    .action((batchId: string, flags: StatusFlags) => runBatchStatus(batchId, flags, deps));
}

function positiveSeconds(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n > 0 && n <= 31_536_000))
    throw new InvalidArgumentError("must be a number of seconds > 0");
  return n;
}

async function runBatchCommand(file: string, flags: BatchFlags, deps: BatchCommandDeps) {
  const config = loadConfig(deps.env);
  if (flags.report !== undefined) {
    // Before anything is enqueued: the report is written only at the end of the run.
    try {
      await checkReportPath(flags.report, file);
    } catch (err) {
      throw new CliExit(EXIT_CODES.usage, `--report: ${(err as Error).message}`);
    }
  }
  if (flags.timeout !== undefined && flags.wait !== true) {
    throw new CliExit(EXIT_CODES.usage, "--timeout needs --wait");
  }
  await withProducer(config, async (producer) => {
    const run = await enqueueFile(producer, file, flags, deps);
    try {
      if (flags.json !== true) deps.out(describeRun(run));
      let progress: BatchProgress | undefined;
      if (flags.wait === true) {
        progress = await watchBatch(producer, run, flags, deps);
      }
      let summary: BatchSummary | undefined;
      if (flags.wait === true || flags.report !== undefined) {
        summary = await summarizeBatch(
          producer,
          run,
          flags.report === undefined ? {} : { reportPath: flags.report },
        );
      }
      if (flags.json === true) {
        // The journal is deleted on the way out: not worth showing.
        const shown = { ...run, dispose: undefined, journalPath: undefined };
        printJson(deps, { run: shown, progress, summary, report: flags.report });
      } else if (summary !== undefined) {
        deps.out(describeSummary(summary, progress, flags.report));
      }
      const problem = exitProblem(run, summary, progress);
      if (problem !== undefined) throw new CliExit(EXIT_CODES.failure, problem);
    } finally {
      await run.dispose();
    }
  });
}

/** Runs the batch, listing problems as they come, and maps file-level failures to exit 2. */
async function enqueueFile(
  producer: RefundProducer,
  file: string,
  flags: BatchFlags,
  deps: BatchCommandDeps,
): Promise<BatchRun> {
  let listed = 0;
  let unlisted = 0;
  let rowsEnqueued = 0;
  // Chosen here, not in runBatch, so a run that stops half way can still name its batch.
  const batchId = flags.batchId ?? generateBatchId();
  const onProblem = (p: BatchRowProblem) => {
    if (listed < flags.maxListed) {
      listed += 1;
      deps.err(formatProblem(p));
    } else {
      unlisted += 1;
    }
  };
  const noteUnlisted = () => {
    if (unlisted > 0) {
      const where = flags.report === undefined ? "use --report to see all" : "see the report";
      deps.err(`… and ${unlisted} more bad row(s) (${where})`);
      unlisted = 0;
    }
  };
  try {
    const run = await runBatch(producer, file, {
      batchId,
      ...(flags.format === undefined ? {} : { format: flags.format }),
      strict: flags.strict === true,
      onProblem,
      onRowsRead: (n) => (rowsEnqueued = n),
    });
    noteUnlisted();
    return run;
  } catch (err) {
    noteUnlisted();
    if (err instanceof BatchRefusedError) throw new CliExit(EXIT_CODES.usage, err.message);
    if (err instanceof BatchFileError) {
      let message = `${file}: ${err.message}`;
      if (flags.strict !== true && rowsEnqueued > 0) {
        message +=
          `\nthe ${rowsEnqueued} row(s) read before it were enqueued in batch ${batchId}; ` +
          `fix the file and run it again (--batch-id ${batchId}): rows already enqueued are ` +
          "reported as existing, never sent twice";
      }
      throw new CliExit(EXIT_CODES.usage, message);
    }
    throw err;
  }
}

async function runBatchStatus(batchId: string, flags: StatusFlags, deps: BatchCommandDeps) {
  if (flags.timeout !== undefined && flags.wait !== true) {
    throw new CliExit(EXIT_CODES.usage, "--timeout needs --wait");
  }
  const config = loadConfig(deps.env);
  await withProducer(config, async (producer) => {
    let info = await getBatchInfo(producer, batchId);
    if (info === null) throw new CliExit(EXIT_CODES.failure, `no batch with id "${batchId}"`);
    let progress: BatchProgress | undefined;
    if (flags.wait === true) {
      progress = await watchBatch(producer, batchId, flags, deps);
      info = (await getBatchInfo(producer, batchId)) ?? info;
    }
    if (flags.json === true) printJson(deps, progress === undefined ? info : { ...info, progress });
    else deps.out(describeBatch(info));
    if (progress === undefined) return;
    if (!progress.done) throw new CliExit(EXIT_CODES.failure, "stopped waiting before the end");
    const notSucceeded = info.total - (info.counts.succeeded ?? 0);
    const badRows = (info.meta?.invalid ?? 0) + (info.meta?.duplicates ?? 0);
    if (notSucceeded > 0 || badRows > 0) {
      throw new CliExit(
        EXIT_CODES.failure,
        `not every refund succeeded: ${notSucceeded} did not, ${badRows} bad row(s)`,
      );
    }
  });
}

/** Why the command must exit 1, or undefined when every row is fine. */
function exitProblem(
  run: BatchRun,
  summary: BatchSummary | undefined,
  progress: BatchProgress | undefined,
): string | undefined {
  if (progress !== undefined && !progress.done) return "not every refund is final yet";
  if (summary !== undefined && progress !== undefined) {
    if (summary.allSucceeded) return undefined;
    const other = Object.entries(summary.byState)
      .filter(([s]) => s !== "succeeded")
      .map(([s, c]) => `${s} ${c}`)
      .join(", ");
    return `not every row succeeded: ${other === "" ? "no rows" : other}`;
  }
  // Without --wait: only what is known already.
  const bad = run.invalid + run.duplicates + run.conflicts + run.overRefunds;
  const knownBad = (["failed", "rejected", "dead", "stuck"] as const).reduce(
    (sum, s) => sum + (run.existingByState[s] ?? 0),
    0,
  );
  if (bad + knownBad > 0) {
    return `${bad + knownBad} row(s) will not succeed (bad rows, over-refunds or known failures)`;
  }
  if (run.rows === 0) return "the file has no rows";
  return undefined;
}
