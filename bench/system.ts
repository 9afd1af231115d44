/**
 * What a lifecycle benchmark drives: a producer that enqueues refunds and workers that
 * carry them to a final state — either the bare BullMQ baseline or the project's pipeline
 * (with its shipped GatePay client, or that client given the global fetch).
 */
import { QUEUE_NAMES } from "../src/jobs/queue-names.js";
import type { BenchRefund } from "./refunds.js";

/** Queue names of the bare baseline (bench/baseline.ts). */
export const BASELINE_QUEUES = { submit: "bare-submit", poll: "bare-poll" } as const;

/** Which system runs the refunds. */
export type SystemMode = "baseline" | "pipeline" | "pipeline-fetch";

/** Every {@link SystemMode}. */
export const SYSTEM_MODES: readonly SystemMode[] = ["baseline", "pipeline", "pipeline-fetch"];

/** Options shared by the baseline and the pipeline. */
export interface SystemOptions {
  redisUrl: string;
  /** BullMQ / key prefix (with a hash tag, e.g. `{bench-1}`). */
  prefix: string;
  /** The sandbox base URL, no trailing slash. */
  sandboxUrl: string;
  /** Jobs in flight per worker (submit and poll each). */
  concurrency: number;
  /** Acceptance to first poll, ms; default 0 (production's 10 s is for GatePay's pace). */
  pollFirstDelayMs?: number;
  /** Producer chunk size; default 500 (enqueueBulk's default). */
  chunkSize?: number;
}

/** The workers side of a system. */
export interface LifecycleWorkers {
  /** Refunds that reached a final state since start. */
  finals(): number;
  /** Submit jobs completed since start. */
  submits(): number;
  /** Calls `listener` after each refund that reaches a final state; returns its removal. */
  onFinal(listener: () => void): () => void;
  close(): Promise<void>;
}

/** The producer side of a system. */
export interface LifecycleProducer {
  enqueue(refunds: readonly BenchRefund[]): Promise<void>;
  /** How many of `ids` have a `succeeded` record (systems with records only). */
  countSucceeded?(ids: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

/** Resolves once `workers.finals()` reaches `target`, or rejects after `timeoutMs`. */
export function waitForFinals(
  workers: LifecycleWorkers,
  target: number,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (workers.finals() >= target) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(`only ${workers.finals()} of ${target} refunds final after ${timeoutMs} ms`),
      );
    }, timeoutMs);
    const off = workers.onFinal(() => {
      if (workers.finals() >= target) {
        off();
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** The BullMQ queue names of `mode` (under its prefix). */
export function queueNamesOf(mode: SystemMode): { submit: string; poll: string } {
  return mode === "baseline"
    ? { submit: BASELINE_QUEUES.submit, poll: BASELINE_QUEUES.poll }
    : { submit: QUEUE_NAMES.submit, poll: QUEUE_NAMES.poll };
}

/** Starts the workers of `mode`. */
export async function startSystemWorkers(
  mode: SystemMode,
  options: SystemOptions,
): Promise<LifecycleWorkers> {
  if (mode === "baseline") {
    const { startBaselineWorkers } = await import("./baseline.js");
    return startBaselineWorkers(options);
  }
  const { startPipelineWorkers } = await import("./pipeline.js");
  return startPipelineWorkers(options, mode === "pipeline-fetch" ? "global-fetch" : "shipped");
}

/** Creates the producer of `mode`. */
export async function createSystemProducer(
  mode: SystemMode,
  options: SystemOptions,
): Promise<LifecycleProducer> {
  if (mode === "baseline") {
    const { createBaselineProducer } = await import("./baseline.js");
    return createBaselineProducer(options);
  }
  const { createPipelineProducer } = await import("./pipeline.js");
  return createPipelineProducer(options);
}
