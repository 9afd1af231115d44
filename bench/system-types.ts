/**
 * The shapes both lifecycle systems share (the bare baseline and the pipeline), apart from
 * the code that picks one, so neither system imports the picker.
 */
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
  /**
   * More of the service's variables (REDIS_DURABILITY, REDIS_CLUSTER_NODES, QUEUE_SHARDS);
   * the baseline reads only REDIS_CLUSTER_NODES (a cluster connection, one hash tag).
   */
  env?: Readonly<Record<string, string>>;
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
  /**
   * How many of `ids` have a `succeeded` record, and how many records show a deferred
   * submit (`submit-deferred`: a send withheld because the durability barrier timed out,
   * or an unknown outcome); systems with records only.
   */
  check?(ids: readonly string[]): Promise<{ succeeded: number; deferred: number }>;
  close(): Promise<void>;
}
