/**
 * The lifecycle settings a section passes on when it runs the lifecycle of section 1 at
 * one concurrency with contenders of its own (durability, scale, cluster).
 */
import type { SandboxProcess } from "./sandbox-process.js";

export interface SectionLifecycleOptions {
  sandbox: SandboxProcess;
  latenciesMs: readonly number[];
  /** WORKER_CONCURRENCY of each worker process. */
  concurrency: number;
  refunds: number;
  rounds: number;
  warmup: number;
  roundTargetMs: number;
  log?: (line: string) => void;
}

/** `runLifecycle`'s options for `o`, without contenders (the section adds its own). */
export function sectionLifecycle(o: SectionLifecycleOptions) {
  return {
    sandbox: o.sandbox,
    modes: [],
    latenciesMs: o.latenciesMs,
    concurrencies: [o.concurrency],
    refunds: o.refunds,
    rounds: o.rounds,
    warmup: o.warmup,
    roundTargetMs: o.roundTargetMs,
    roundTimeoutMs: 120_000,
    ...(o.log ? { log: o.log } : {}),
  };
}
