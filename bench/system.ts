/**
 * What a lifecycle benchmark drives: a producer that enqueues refunds and workers that
 * carry them to a final state — either the bare BullMQ baseline or the project's pipeline
 * (with its shipped GatePay client, or that client given the global fetch).
 */
import { QUEUE_NAMES } from "../src/jobs/queue-names.js";

export {
  BASELINE_QUEUES,
  SYSTEM_MODES,
  type LifecycleProducer,
  type LifecycleWorkers,
  type SystemMode,
  type SystemOptions,
} from "./system-types.js";
import {
  BASELINE_QUEUES,
  type LifecycleProducer,
  type LifecycleWorkers,
  type SystemMode,
  type SystemOptions,
} from "./system-types.js";

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
