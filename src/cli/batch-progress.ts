/**
 * Following a batch in the terminal: a redrawn progress bar on a terminal, a plain line
 * every few seconds otherwise (logs, CI).
 */
import { REFUND_STATES, type RefundState } from "../domain/refund-state.js";
import { waitForBatch, type BatchProgress, type BatchRun } from "../producer/batch/index.js";
import type { RefundProducer } from "../producer/enqueue-refund.js";
import { n, seconds, stateList } from "./batch-text.js";
import type { CliIo } from "./output.js";

/** Where the live progress goes: a terminal gets a redrawn line. */
export interface ProgressOutput {
  readonly isTTY: boolean;
  /** Terminal width in characters; default 80. */
  readonly columns?: number | undefined;
  /** Writes `text` as is (no newline added). */
  write(text: string): void;
}

/** What watching a batch needs: the CLI's io, and optionally where progress goes. */
export interface WatchBatchDeps extends CliIo {
  /** Default: standard error (a redrawn line when it is a terminal). */
  readonly progress?: ProgressOutput;
}

/** Between two looks at the batch counts while waiting, ms. */
const POLL_INTERVAL_MS = 500;

/**
 * Follows a batch until every refund is final, with a redrawn progress bar on a
 * terminal and a plain line every `progressEvery` seconds otherwise (also used by the
 * demo). Ctrl-C or SIGTERM stops the watching, not the batch.
 */
export async function watchBatch(
  producer: RefundProducer,
  target: string | BatchRun,
  flags: { timeout?: number; progressEvery: number },
  deps: WatchBatchDeps,
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
