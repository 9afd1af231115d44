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
import { REFUND_STATES, type RefundState } from "../domain/refund-state.js";
import { BatchFileError } from "../producer/batch-file.js";
import {
  BatchRefusedError,
  batchReportFormat,
  generateBatchId,
  getBatchInfo,
  runBatch,
  summarizeBatch,
  waitForBatch,
  type BatchInfo,
  type BatchProgress,
  type BatchRowProblem,
  type BatchRun,
  type BatchSummary,
} from "../producer/enqueue-batch.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import { integerOption } from "./option-parsers.js";
import { CliExit, EXIT_CODES, printJson, type CliIo } from "./output.js";
import { withProducer } from "./with-producer.js";

/** Where the live progress goes: a terminal gets a redrawn line. */
export interface ProgressOutput {
  readonly isTTY: boolean;
  /** Terminal width in characters; default 80. */
  readonly columns?: number | undefined;
  /** Writes `text` as is (no newline added). */
  write(text: string): void;
}

/** What the batch commands need: the CLI's io, and optionally where progress goes. */
export interface BatchCommandDeps extends CliIo {
  /** Default: standard error (a redrawn line when it is a terminal). */
  readonly progress?: ProgressOutput;
}

/** Problems listed on standard error by default; the report has them all. */
const DEFAULT_MAX_LISTED = 100;
/** Seconds between plain progress lines when standard error is not a terminal. */
const DEFAULT_PROGRESS_EVERY_S = 10;
/** Between two looks at the batch counts while waiting, ms. */
const POLL_INTERVAL_MS = 500;

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
    try {
      batchReportFormat(flags.report);
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

// ---------------------------------------------------------------------------------------
// Waiting with progress

/**
 * Follows a batch until every refund is final, with a redrawn progress bar on a
 * terminal and a plain line every `progressEvery` seconds otherwise (also used by the
 * demo). Ctrl-C or SIGTERM stops the watching, not the batch.
 */
export async function watchBatch(
  producer: RefundProducer,
  target: string | BatchRun,
  flags: { timeout?: number; progressEvery: number },
  deps: BatchCommandDeps,
): Promise<BatchProgress> {
  const out = deps.progress ?? stderrProgress();
  const everyMs = flags.progressEvery * 1000;
  let lastLineAt = Number.NEGATIVE_INFINITY;
  let drawn = false;
  // Ctrl-C (or SIGTERM: `docker compose stop`, a CI timeout) stops the watching, not the
  // batch: the workers go on, and the summary and report below still describe where
  // every row stands. A second signal of the same kind kills as usual.
  const stop = new AbortController();
  const onStopSignal = () => stop.abort();
  process.once("SIGINT", onStopSignal);
  process.once("SIGTERM", onStopSignal);
  try {
    const progress = await waitForBatch(producer, target, {
      intervalMs: POLL_INTERVAL_MS,
      signal: stop.signal,
      ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout * 1000 }),
      onProgress: (p) => {
        if (out.isTTY) {
          out.write(`\r${fit(progressBar(p), (out.columns ?? 80) - 1)}\x1b[K`);
          drawn = true;
        } else if (p.done || p.elapsedMs - lastLineAt >= everyMs) {
          lastLineAt = p.elapsedMs;
          deps.err(progressLine(p));
        }
      },
    });
    if (drawn) out.write("\n");
    if (!progress.done) {
      const why = stop.signal.aborted ? "interrupted" : "timed out";
      deps.err(
        `${why}: stopped waiting; the batch goes on (gatepay-refunds batch-status ` +
          `${progress.batchId} --wait)`,
      );
    }
    return progress;
  } finally {
    process.off("SIGINT", onStopSignal);
    process.off("SIGTERM", onStopSignal);
  }
}

function stderrProgress(): ProgressOutput {
  return {
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
    write: (text) => void process.stderr.write(text),
  };
}

/** States in lifecycle order; the in-progress ones shown as one "in flight" figure on a bar. */
const IN_FLIGHT: readonly RefundState[] = ["queued", "submitting", "accepted", "processing"];

function stateList(counts: Partial<Record<string, number>>, states: readonly string[]): string {
  return states
    .filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${s} ${n(counts[s] ?? 0)}`)
    .join(", ");
}

function progressBar(p: BatchProgress): string {
  const width = 20;
  const ratio = p.total === 0 ? 1 : p.final / p.total;
  const full = Math.round(ratio * width);
  const bar = `[${"█".repeat(full)}${"░".repeat(width - full)}]`;
  const inFlight = IN_FLIGHT.reduce((sum, s) => sum + (p.counts[s] ?? 0), 0);
  const finals = stateList(
    p.counts,
    REFUND_STATES.filter((s) => !IN_FLIGHT.includes(s)),
  );
  const parts = [`${bar} ${n(p.final)}/${n(p.total)} final`];
  if (finals !== "") parts.push(finals);
  if (inFlight > 0) parts.push(`in flight ${n(inFlight)}`);
  if (p.elsewherePending > 0) parts.push(`${n(p.elsewherePending)} in earlier batches`);
  parts.push(seconds(p.elapsedMs));
  return parts.join(" · ");
}

function progressLine(p: BatchProgress): string {
  const states = stateList(p.counts, REFUND_STATES);
  const elsewhere =
    p.elsewherePending > 0 ? `; ${n(p.elsewherePending)} in earlier batches not final` : "";
  return (
    `batch ${p.batchId}: ${n(p.final)}/${n(p.total)} final` +
    (states === "" ? "" : ` (${states})`) +
    `${elsewhere}, ${seconds(p.elapsedMs)}`
  );
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

// ---------------------------------------------------------------------------------------
// Text output

function n(value: number): string {
  return value.toLocaleString("en-US");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatProblem(p: BatchRowProblem): string {
  const id = p.refundRequestId === undefined ? "" : ` (${p.refundRequestId})`;
  const what =
    p.kind === "over-refund"
      ? "rejected, over-refund: "
      : p.kind === "conflict"
        ? "id reused: "
        : "";
  const issues = p.issues
    .map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`))
    .join("; ");
  return `line ${p.line}${id}: ${what}${issues}`;
}

/** What a run did with the file's rows. */
export function describeRun(run: BatchRun): string {
  const known = stateList(run.existingByState, REFUND_STATES);
  const lines = [
    `batch ${run.batchId}: ${n(run.rows)} row(s) from ${run.file}`,
    `  valid ${n(run.valid)}: created ${n(run.created)}, already known ${n(run.existing)}` +
      (known === "" ? "" : ` (${known})`) +
      (run.conflicts > 0 ? `, id reused ${n(run.conflicts)}` : "") +
      (run.overRefunds > 0 ? `, over-refund ${n(run.overRefunds)}` : ""),
    `  invalid ${n(run.invalid)}, duplicates ${n(run.duplicates)}`,
  ];
  return lines.join("\n");
}

/** The outcome of every row, by state. */
export function describeSummary(
  summary: BatchSummary,
  progress: BatchProgress | undefined,
  report: string | undefined,
): string {
  const states = stateList(summary.byState, [...REFUND_STATES, "invalid", "unknown"]);
  const head =
    progress === undefined
      ? "now"
      : progress.done
        ? `all final after ${seconds(progress.elapsedMs)}`
        : `not all final after ${seconds(progress.elapsedMs)}`;
  const lines = [`${head}: ${n(summary.rows)} row(s): ${states === "" ? "none" : states}`];
  if (report !== undefined) lines.push(`report: ${report}`);
  return lines.join("\n");
}

function describeBatch(info: BatchInfo): string {
  const lines = [`batch ${info.batchId}`];
  const m = info.meta;
  if (m !== null) {
    lines.push(
      `  file      ${m.file} (${m.format})`,
      `  created   ${m.createdAt}; runs ${m.runs}, last ${m.lastRunAt}`,
      `  status    ${m.status}${m.error === undefined ? "" : `: ${m.error}`}`,
      `  rows      ${n(m.status === "enqueued" ? m.rows : m.rowsRead)}: valid ${n(m.valid)} ` +
        `(created ${n(m.created)}, already known ${n(m.existing)}), invalid ${n(m.invalid)}, ` +
        `duplicates ${n(m.duplicates)}`,
    );
  }
  const states = stateList(info.counts, REFUND_STATES);
  lines.push(
    `  refunds   ${n(info.total)}, final ${n(info.final)}${states === "" ? "" : `: ${states}`}`,
  );
  return lines.join("\n");
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
