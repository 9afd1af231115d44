/**
 * Lifecycle throughput: refunds per second from enqueue to final state (one signed POST,
 * one signed GET, two jobs per refund), for the bare baseline and the pipeline, each in a
 * worker process of its own (bench/lifecycle-child.ts), against the sandbox in another
 * process. The producer runs here, in the parent.
 *
 * A round: seed the orders (not timed), tell the worker processes to count finals, note
 * the time, enqueue every refund in bulk, and stop the clock at the last final (the
 * processes report progress with the time of their latest final; with several processes on
 * the same queues their counts are added up). Each system first runs a warm-up round,
 * then `rounds` measured ones; the figure is the median.
 *
 * A scenario's systems are either `modes` (one process each, on `redis`) or, from
 * `contendersFor`, labelled systems with their own server, service variables and number
 * of worker processes; with `nodes`, each round also reads the Redis servers' CPU and
 * commands (INFO) before and after.
 */
import { join } from "node:path";
import { Redis } from "ioredis";
import { WorkerChild, type ProgressMessage, type RoundMessage } from "./lifecycle-worker.js";
import { commandStats, diffCounts, redisCpuSeconds, totalCalls } from "./redis-stats.js";
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
  /** Pipeline only: records with a deferred submit (barrier timeout, unknown outcome). */
  deferred?: number;
  /** With `nodes`: what the round cost the Redis servers, per refund. */
  redis?: RoundRedis;
  error?: string;
}

/** Redis cost of a round, per refund (INFO deltas; the reads themselves left out). */
export interface RoundRedis {
  /** CPU (user + sys) per node, in `nodes` order, ms per refund. */
  cpuMsPerRefund: number[];
  /** Commands over all nodes (Lua-internal ones included). */
  commandsPerRefund: number;
  /** WAIT and WAITAOF calls (the durability barrier). */
  barrierCallsPerRefund: number;
}

/** A labelled system of a scenario (see {@link LifecycleOptions.contendersFor}). */
export interface ContenderSpec {
  label: string;
  mode: SystemMode;
  /** Worker processes on the same queues; default 1. */
  processes?: number;
  /** Its Redis (another server than `redis`). */
  redisUrl?: string;
  /** More service variables (REDIS_DURABILITY, REDIS_CLUSTER_NODES, QUEUE_SHARDS). */
  env?: Readonly<Record<string, string>>;
}

/** One system in one scenario. */
export interface ScenarioResult {
  mode: SystemMode;
  /** The contender's label (the mode for `modes`). */
  label?: string;
  /** Worker processes (1 for `modes`). */
  processes?: number;
  latencyMs: number;
  concurrency: number;
  rounds: RoundResult[];
  /** Median refunds/s over the rounds. */
  refundsPerSecond: number;
  /** Median worker CPU per refund, ms. */
  cpuMsPerRefund: number;
  eventLoopUtilization: number;
  /** With `nodes`: medians over the rounds. */
  redis?: RoundRedis;
}

/** Options of {@link runLifecycle}. */
export interface LifecycleOptions {
  /** The Redis of `modes` (and of contenders without their own). */
  redis: { url: string };
  sandbox: SandboxProcess;
  modes: readonly SystemMode[];
  /** Modes of one scenario when they differ from `modes` (e.g. a variant only at c=50). */
  modesFor?: (latencyMs: number, concurrency: number) => readonly SystemMode[];
  /** Labelled systems of a scenario; when given, `modes` and `modesFor` are not used. */
  contendersFor?: (latencyMs: number, concurrency: number) => readonly ContenderSpec[];
  /** Empties the servers before each scenario; default FLUSHALL on `redis`. */
  flush?: () => Promise<void>;
  /** Redis servers whose INFO cpu and commandstats each round reads (caller's connections). */
  nodes?: readonly Redis[];
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

/** One system of a scenario: its worker processes and its producer. */
interface Contender {
  spec: ContenderSpec;
  children: WorkerChild[];
  producer: LifecycleProducer;
  rounds: RoundResult[];
}

interface NodeStats {
  cpu: number[];
  commands: Awaited<ReturnType<typeof commandStats>>[];
}

async function nodeStats(nodes: readonly Redis[]): Promise<NodeStats> {
  const cpu = await Promise.all(nodes.map(redisCpuSeconds));
  const commands = await Promise.all(nodes.map(commandStats));
  return { cpu, commands };
}

function roundRedis(before: NodeStats, after: NodeStats, finals: number): RoundRedis {
  const n = Math.max(1, finals);
  let commands = 0;
  let barrier = 0;
  after.commands.forEach((a, i) => {
    const d = diffCounts(before.commands[i]!, a);
    commands += totalCalls(d);
    barrier += (d.get("wait") ?? 0) + (d.get("waitaof") ?? 0);
  });
  return {
    cpuMsPerRefund: after.cpu.map((c, i) => ((c - before.cpu[i]!) * 1000) / n),
    commandsPerRefund: commands / n,
    barrierCallsPerRefund: barrier / n,
  };
}

/**
 * Runs one round of `c` with `count` refunds: every worker process of `c` counts its
 * finals; the round ends when their sum reaches `count` (or after `roundTimeoutMs`).
 */
async function runRound(
  o: LifecycleOptions,
  c: Contender,
  tag: string,
  count: number,
): Promise<RoundResult> {
  const refunds = makeRefunds(tag, count);
  await seedOrders(o.sandbox.url, refunds);
  const counts = c.children.map(() => 0);
  let lastAtMs = 0;
  let reached: () => void = () => undefined;
  const allFinal = new Promise<void>((resolve) => (reached = resolve));
  c.children.forEach((child, i) => {
    child.onProgress = (m: ProgressMessage) => {
      counts[i] = m.finals;
      lastAtMs = Math.max(lastAtMs, m.atMs);
      if (counts.reduce((x, y) => x + y, 0) >= count) reached();
    };
  });
  await Promise.all(c.children.map((child) => child.ask({ op: "track" })));
  const before = o.nodes ? await nodeStats(o.nodes) : undefined;
  const startedAtMs = Date.now();
  await c.producer.enqueue(refunds);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    allFinal.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), o.roundTimeoutMs))),
  ]);
  clearTimeout(timer);
  const answers = await Promise.all(
    c.children.map((child) => child.ask<RoundMessage>({ op: "untrack" })),
  );
  for (const child of c.children) child.onProgress = undefined;
  const after = o.nodes ? await nodeStats(o.nodes) : undefined;
  const finals = answers.reduce((x, m) => x + m.finals, 0);
  const doneAtMs = timedOut ? Date.now() : Math.max(lastAtMs, ...answers.map((m) => m.doneAtMs));
  const elapsedMs = Math.max(1, doneAtMs - startedAtMs);
  const cpuUs = answers.reduce((x, m) => x + m.cpuUserUs + m.cpuSystemUs, 0);
  const round: RoundResult = {
    refunds: refunds.length,
    finals,
    elapsedMs,
    refundsPerSecond: (finals * 1000) / elapsedMs,
    cpuMsPerRefund: cpuUs / 1000 / Math.max(1, finals),
    eventLoopUtilization: Math.max(...answers.map((m) => m.eventLoopUtilization)),
  };
  if (timedOut) {
    round.error = `only ${finals} of ${count} refunds final after ${o.roundTimeoutMs} ms`;
  }
  if (before && after) round.redis = roundRedis(before, after, finals);
  if (c.producer.check) {
    const seen = await c.producer.check(refunds.map((x) => x.refundRequestId));
    round.succeeded = seen.succeeded;
    round.deferred = seen.deferred;
  }
  return round;
}

/** The median of each field of the rounds' Redis costs. */
function medianRedis(rounds: readonly RoundResult[]): RoundRedis | undefined {
  const rs = rounds.flatMap((r) => (r.redis ? [r.redis] : []));
  if (rs.length === 0) return undefined;
  return {
    cpuMsPerRefund: rs[0]!.cpuMsPerRefund.map((_, i) =>
      median(rs.map((x) => x.cpuMsPerRefund[i] ?? NaN)),
    ),
    commandsPerRefund: median(rs.map((x) => x.commandsPerRefund)),
    barrierCallsPerRefund: median(rs.map((x) => x.barrierCallsPerRefund)),
  };
}

/** The scenario's systems: labelled contenders, or one per mode. */
function specsOf(o: LifecycleOptions, latencyMs: number, concurrency: number): ContenderSpec[] {
  if (o.contendersFor) return [...o.contendersFor(latencyMs, concurrency)];
  return (o.modesFor?.(latencyMs, concurrency) ?? o.modes).map((mode) => ({ label: mode, mode }));
}

/**
 * Runs every system of one scenario. All the systems' worker processes start together
 * and take turns round by round (baseline, pipeline, …, baseline, pipeline, …), so a
 * change in the machine's background load hits every system alike; an idle worker only
 * waits on a blocking Redis read.
 */
async function runScenario(
  o: LifecycleOptions,
  admin: Redis,
  latencyMs: number,
  concurrency: number,
): Promise<ScenarioResult[]> {
  await (o.flush ? o.flush() : admin.flushall());
  await o.sandbox.reset();
  await o.sandbox.setLatency(latencyMs);
  const size = roundSize(o, latencyMs, concurrency);
  const contenders: Contender[] = [];
  try {
    for (const spec of specsOf(o, latencyMs, concurrency)) {
      const options: SystemOptions = {
        redisUrl: spec.redisUrl ?? o.redis.url,
        prefix: `{bench-lc-${++tagCounter}}`,
        sandboxUrl: o.sandbox.url,
        concurrency,
        pollFirstDelayMs: 0,
        ...(spec.env ? { env: spec.env } : {}),
      };
      const c: Contender = {
        spec,
        children: [],
        producer: await createSystemProducer(spec.mode, options),
        rounds: [],
      };
      contenders.push(c);
      for (let i = 0; i < (spec.processes ?? 1); i++) {
        const child = new WorkerChild(o.execArgv ?? []);
        c.children.push(child);
        const name = `${spec.label.replace(/[^A-Za-z0-9-]+/g, "_")}${i > 0 ? `-p${i}` : ""}`;
        const profilePath = o.profileDir
          ? join(o.profileDir, `${name}-lat${latencyMs}-c${concurrency}.cpuprofile`)
          : undefined;
        await child.ask({
          op: "start",
          mode: spec.mode,
          options,
          ...(profilePath ? { profilePath } : {}),
        });
      }
    }
    for (const c of contenders) {
      await runRound(o, c, `W${++tagCounter}`, Math.min(o.warmup, size));
    }
    for (let r = 1; r <= o.rounds; r++) {
      for (const c of contenders) {
        const round = await runRound(o, c, `L${++tagCounter}`, size);
        c.rounds.push(round);
        o.log?.(
          `  ${c.spec.label} lat=${latencyMs} c=${concurrency} round ${r}: ` +
            `${round.refundsPerSecond.toFixed(0)} refunds/s (${round.refunds} in ${round.elapsedMs} ms, ` +
            `cpu ${round.cpuMsPerRefund.toFixed(2)} ms/refund, elu ${round.eventLoopUtilization.toFixed(2)}` +
            (round.redis ? `, ${round.redis.commandsPerRefund.toFixed(1)} cmds/refund` : "") +
            (round.deferred ? `, ${round.deferred} deferred` : "") +
            ")" +
            (round.error ? ` ERROR ${round.error}` : ""),
        );
      }
    }
  } finally {
    for (const c of contenders) {
      await Promise.all(c.children.map((child) => child.close()));
      await c.producer.close();
    }
  }
  return contenders.map((c) => {
    const out: ScenarioResult = {
      mode: c.spec.mode,
      label: c.spec.label,
      processes: c.children.length,
      latencyMs,
      concurrency,
      rounds: c.rounds,
      refundsPerSecond: median(c.rounds.map((x) => x.refundsPerSecond)),
      cpuMsPerRefund: median(c.rounds.map((x) => x.cpuMsPerRefund)),
      eventLoopUtilization: median(c.rounds.map((x) => x.eventLoopUtilization)),
    };
    const redis = medianRedis(c.rounds);
    if (redis) out.redis = redis;
    return out;
  });
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
