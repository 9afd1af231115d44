/**
 * Lifecycle throughput: refunds per second from enqueue to final state (one signed POST,
 * one signed GET, two jobs per refund), for the bare baseline and the pipeline, each in a
 * worker process of its own (bench/lifecycle-child.ts), against the sandbox in another
 * process. The producer runs here, in the parent.
 *
 * A round: seed the orders (not timed), tell the child how many finals to expect, note
 * the time, enqueue every refund in bulk, and stop the clock when the child reports the
 * last one final. Each worker process first runs a warm-up round, then `rounds` measured
 * ones; the figure is the median.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { BenchRedis } from "./redis-server.js";
import { makeRefunds, seedOrders } from "./refunds.js";
import type { SandboxProcess } from "./sandbox-process.js";
import { median, ratio } from "./stats.js";
import {
  createSystemProducer,
  type LifecycleProducer,
  type SystemMode,
  type SystemOptions,
} from "./system.js";

/** One measured round. */
export interface RoundResult {
  refunds: number;
  /** Refunds final when the round ended (less than `refunds` only on a timeout). */
  finals: number;
  elapsedMs: number;
  refundsPerSecond: number;
  /** Worker-process CPU (user + system) per refund, ms. */
  cpuMsPerRefund: number;
  /** Worker-process event-loop utilisation during the round, 0–1. */
  eventLoopUtilization: number;
  /** Pipeline only: records in `succeeded` after the round. */
  succeeded?: number;
  error?: string;
}

/** One system in one scenario. */
export interface ScenarioResult {
  mode: SystemMode;
  latencyMs: number;
  concurrency: number;
  rounds: RoundResult[];
  /** Median refunds/s over the rounds. */
  refundsPerSecond: number;
  /** Median worker CPU per refund, ms. */
  cpuMsPerRefund: number;
  eventLoopUtilization: number;
}

/** Options of {@link runLifecycle}. */
export interface LifecycleOptions {
  redis: BenchRedis;
  sandbox: SandboxProcess;
  modes: readonly SystemMode[];
  /** Modes of one scenario when they differ from `modes` (e.g. a variant only at c=50). */
  modesFor?: (latencyMs: number, concurrency: number) => readonly SystemMode[];
  latenciesMs: readonly number[];
  concurrencies: readonly number[];
  /** Refunds per round at 0 ms latency (fewer at higher latency, see `roundTargetMs`). */
  refunds: number;
  /** Measured rounds per process; the figure is their median. */
  rounds: number;
  /** Refunds of the warm-up round. */
  warmup: number;
  /**
   * With latency, rounds are sized to last about this long at the latency-bound rate
   * (concurrency / latency), capped at `refunds`, ms.
   */
  roundTargetMs: number;
  /** A round that takes longer is cut and reported partial, ms. */
  roundTimeoutMs: number;
  /** Extra Node flags for the worker processes. */
  execArgv?: readonly string[];
  /**
   * When set, each worker process writes a CPU profile of its rounds (warm-up included,
   * start-up excluded) to `<profileDir>/<mode>-lat<ms>-c<concurrency>.cpuprofile`.
   */
  profileDir?: string;
  log?: (line: string) => void;
}

const CHILD = fileURLToPath(new URL("./lifecycle-child.ts", import.meta.url));

interface RoundMessage {
  op: "round";
  doneAtMs: number;
  finals: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  eventLoopUtilization: number;
  error?: string;
}

/** A worker child and a typed request/answer channel to it. */
class WorkerChild {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #waiting: ((m: { op: string }) => void) | undefined;
  #failure: Error | undefined;

  constructor(execArgv: readonly string[]) {
    this.#child = fork(CHILD, [], {
      execArgv: ["--import", "tsx", ...execArgv],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#exited = new Promise((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.on("message", (m: { op: string; message?: string }) => {
      if (m.op === "error") this.#failure = new Error(`worker child: ${m.message ?? "?"}`);
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(m);
    });
    this.#child.once("exit", (code) => {
      this.#failure ??= new Error(`worker child exited (${code})`);
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.({ op: "exit" });
    });
  }

  /** Sends `message` and resolves with the child's next message (its answer). */
  ask<T extends { op: string }>(message: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#waiting = (m) => {
        if (m.op === "error" || m.op === "exit") reject(this.#failure ?? new Error(m.op));
        else resolve(m as T);
      };
      this.#child.send(message);
    });
  }

  async close(): Promise<void> {
    if (this.#child.connected) {
      await this.ask({ op: "close" }).catch(() => undefined);
    }
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Refunds per round for a scenario. */
function roundSize(o: LifecycleOptions, latencyMs: number, concurrency: number): number {
  if (latencyMs <= 0) return o.refunds;
  // Each refund holds a submit slot and a poll slot for about one latency each.
  const latencyBoundPerSecond = (concurrency * 1000) / (latencyMs + 5);
  return Math.max(
    50,
    Math.min(o.refunds, Math.round((latencyBoundPerSecond * o.roundTargetMs) / 1000)),
  );
}

let tagCounter = 0;

/** One system of a scenario: its worker process and its producer. */
interface Contender {
  mode: SystemMode;
  child: WorkerChild;
  producer: LifecycleProducer;
  rounds: RoundResult[];
}

/** Runs one round of `c` with `count` refunds; undefined for a warm-up round. */
async function runRound(
  o: LifecycleOptions,
  c: Contender,
  tag: string,
  count: number,
): Promise<RoundResult> {
  const refunds = makeRefunds(tag, count);
  await seedOrders(o.sandbox.url, refunds);
  const answer = c.child.ask<RoundMessage>({
    op: "expect",
    count: refunds.length,
    timeoutMs: o.roundTimeoutMs,
  });
  const startedAtMs = Date.now();
  await c.producer.enqueue(refunds);
  const m = await answer;
  const elapsedMs = m.doneAtMs - startedAtMs;
  const round: RoundResult = {
    refunds: refunds.length,
    finals: m.finals,
    elapsedMs,
    refundsPerSecond: (m.finals * 1000) / elapsedMs,
    cpuMsPerRefund: (m.cpuUserUs + m.cpuSystemUs) / 1000 / Math.max(1, m.finals),
    eventLoopUtilization: m.eventLoopUtilization,
  };
  if (m.error !== undefined) round.error = m.error;
  if (c.producer.countSucceeded) {
    round.succeeded = await c.producer.countSucceeded(refunds.map((x) => x.refundRequestId));
  }
  return round;
}

/**
 * Runs every mode of one scenario. All the modes' worker processes start together and
 * take turns round by round (baseline, pipeline, …, baseline, pipeline, …), so a change
 * in the machine's background load hits every mode alike; an idle worker only waits on
 * a blocking Redis read.
 */
async function runScenario(
  o: LifecycleOptions,
  admin: Redis,
  latencyMs: number,
  concurrency: number,
): Promise<ScenarioResult[]> {
  await admin.flushall();
  await o.sandbox.reset();
  await o.sandbox.setLatency(latencyMs);
  const size = roundSize(o, latencyMs, concurrency);
  const contenders: Contender[] = [];
  try {
    for (const mode of o.modesFor?.(latencyMs, concurrency) ?? o.modes) {
      const options: SystemOptions = {
        redisUrl: o.redis.url,
        prefix: `{bench-lc-${++tagCounter}}`,
        sandboxUrl: o.sandbox.url,
        concurrency,
        pollFirstDelayMs: 0,
      };
      const child = new WorkerChild(o.execArgv ?? []);
      const producer = await createSystemProducer(mode, options);
      contenders.push({ mode, child, producer, rounds: [] });
      const profilePath = o.profileDir
        ? join(o.profileDir, `${mode}-lat${latencyMs}-c${concurrency}.cpuprofile`)
        : undefined;
      await child.ask({ op: "start", mode, options, ...(profilePath ? { profilePath } : {}) });
    }
    for (const c of contenders) {
      await runRound(o, c, `W${++tagCounter}`, Math.min(o.warmup, size));
    }
    for (let r = 1; r <= o.rounds; r++) {
      for (const c of contenders) {
        const round = await runRound(o, c, `L${++tagCounter}`, size);
        c.rounds.push(round);
        o.log?.(
          `  ${c.mode} lat=${latencyMs} c=${concurrency} round ${r}: ` +
            `${round.refundsPerSecond.toFixed(0)} refunds/s (${round.refunds} in ${round.elapsedMs} ms, ` +
            `cpu ${round.cpuMsPerRefund.toFixed(2)} ms/refund, elu ${round.eventLoopUtilization.toFixed(2)})` +
            (round.error ? ` ERROR ${round.error}` : ""),
        );
      }
    }
  } finally {
    for (const c of contenders) {
      await c.child.close();
      await c.producer.close();
    }
  }
  return contenders.map((c) => ({
    mode: c.mode,
    latencyMs,
    concurrency,
    rounds: c.rounds,
    refundsPerSecond: median(c.rounds.map((x) => x.refundsPerSecond)),
    cpuMsPerRefund: median(c.rounds.map((x) => x.cpuMsPerRefund)),
    eventLoopUtilization: median(c.rounds.map((x) => x.eventLoopUtilization)),
  }));
}

/** Runs every scenario (latency × concurrency) for every mode. */
export async function runLifecycle(o: LifecycleOptions): Promise<ScenarioResult[]> {
  const admin = new Redis(o.redis.url);
  const out: ScenarioResult[] = [];
  try {
    for (const latencyMs of o.latenciesMs) {
      for (const concurrency of o.concurrencies) {
        out.push(...(await runScenario(o, admin, latencyMs, concurrency)));
      }
    }
  } finally {
    await o.sandbox.setLatency(0);
    admin.disconnect();
  }
  return out;
}

/** Pipeline-vs-baseline ratio of a scenario's median throughput. */
export function lifecycleRatio(
  results: readonly ScenarioResult[],
  mode: SystemMode,
  latencyMs: number,
  concurrency: number,
): number {
  const find = (m: SystemMode) =>
    results.find((r) => r.mode === m && r.latencyMs === latencyMs && r.concurrency === concurrency);
  return ratio(
    find(mode)?.refundsPerSecond ?? Number.NaN,
    find("baseline")?.refundsPerSecond ?? Number.NaN,
  );
}
