/**
 * Recovery after a worker crash (issue 18): two worker processes share a steady stream of
 * refunds; one is SIGKILLed while it holds jobs, several times. For each kill: the time
 * from the SIGKILL until every refund the dead process held was picked up again by the
 * other (its BullMQ job active under another worker, or moved on by it), by the state the
 * refund was in; and the throughput dip, refunds reaching a final state per second in the
 * seconds after the kill against the seconds before. Run for BullMQ timings of the old
 * defaults (30 s lock, 30 s stalled check) and the new ones, in the same run.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { FINAL_STATES } from "../src/domain/refund-state.js";
import { createRefundProducer, type RefundProducer } from "../src/producer/enqueue-refund.js";
import type { BenchRedis } from "./redis-server.js";
import { BENCH_CLIENT_ID, BENCH_SECRET, makeRefunds, sandboxAdmin, seedOrders } from "./refunds.js";
import type { SandboxProcess } from "./sandbox-process.js";
import { percentile } from "./stats.js";

/** The state a refund was in when the process holding it died. */
export type HeldState =
  | "queued (job active)"
  | "lease, no POST"
  | "POST sent, answer lost"
  | "accepted, submit job finishing"
  | "poll job active";

/** One BullMQ timing under test. */
export interface RecoveryTimingCase {
  label: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/** The results of one timing case. */
export interface RecoveryMeasure extends RecoveryTimingCase {
  kills: number;
  /** Time from each kill to the last of its held refunds picked up again, ms. */
  perKillMs: number[];
  /** Time to pick-up of every held refund, ms, by state. */
  byState: Partial<Record<HeldState, number[]>>;
  /** Refunds held by the dead process, over all kills. */
  held: number;
  /** Held refunds not picked up within the measurement window. */
  notPickedUp: number;
  /** Finals per second in the window before each kill, and after it, summed over kills. */
  ratePerSBefore: number;
  ratePerSAfter: number;
  /** Length of the windows, ms. */
  windowMs: number;
}

export interface RecoveryOptions {
  redis: BenchRedis;
  sandbox: SandboxProcess;
  cases: RecoveryTimingCase[];
  kills: number;
  /** Refunds enqueued per second, steady. */
  feedPerS: number;
  /** Sandbox latency of every request, ms (keeps jobs in flight at a kill). */
  latencyMs: number;
  /** Throughput windows before and after each kill, ms. */
  windowMs: number;
  log: (line: string) => void;
}

const CHILD = fileURLToPath(new URL("./recovery-child.ts", import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface WorkerChild {
  id: string;
  child: ChildProcess;
  exited: Promise<void>;
}

async function startWorker(id: string, env: Record<string, string>): Promise<WorkerChild> {
  const child = fork(CHILD, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env, BENCH_WORKER_ID: id },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${id} not ready in 60 s`)), 60_000);
    child.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${id} exited (${code})`));
    });
  });
  return { id, child, exited };
}

async function stopWorker(w: WorkerChild): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null && w.child.pid !== undefined) {
    process.kill(w.child.pid, "SIGKILL");
  }
  await w.exited;
}

const heldBy = (job: Job, id: string): boolean =>
  job.processedBy === `submit-${id}` || job.processedBy === `poll-${id}`;

async function activeOf(queues: Queue[], id: string): Promise<Job[]> {
  const out: Job[] = [];
  for (const q of queues) out.push(...(await q.getActive()).filter((j) => heldBy(j, id)));
  return out;
}

/**
 * Whether `job` has been taken up again since the kill: a new run started (BullMQ counts
 * runs in `attemptsStarted`), or it is gone (finished and removed). "not-held" when the
 * dead process finished it between the snapshot and the kill.
 */
async function pickedUp(
  queue: Queue,
  job: Job,
  killedAt: number,
): Promise<"yes" | "no" | "not-held"> {
  const now = await queue.getJob(job.id!);
  if (!now) return "yes";
  if (now.attemptsStarted > job.attemptsStarted) return "yes";
  if (now.finishedOn !== undefined && now.finishedOn < killedAt) return "not-held";
  return "no";
}

/** Runs one timing case: 2 workers, `kills` SIGKILLs of one of them. */
async function runCase(
  c: RecoveryTimingCase,
  o: RecoveryOptions,
  caseNo: number,
): Promise<RecoveryMeasure> {
  const prefix = `{bench-recovery-${caseNo}}`;
  const redis = new Redis(o.redis.url, { maxRetriesPerRequest: null });
  const producer: RefundProducer = createRefundProducer({
    redis,
    prefix,
    submitMaxAttempts: 20,
  });
  const env = {
    REDIS_URL: o.redis.url,
    QUEUE_PREFIX: prefix,
    GATEPAY_BASE_URL: o.sandbox.url,
    GATEPAY_CLIENT_ID: BENCH_CLIENT_ID,
    GATEPAY_SECRET_KEY: BENCH_SECRET,
    WORKER_CONCURRENCY: "20",
    SUBMIT_MAX_ATTEMPTS: "20",
    POLL_FIRST_DELAY_MS: "500",
    POLL_MAX_DELAY_MS: "1000",
    WORKER_LOCK_DURATION_MS: String(c.lockDurationMs),
    WORKER_STALLED_INTERVAL_MS: String(c.stalledIntervalMs),
    LOG_LEVEL: "error",
  };
  const queues = [producer.queues.submit, producer.queues.poll];
  const ids: string[] = [];
  const finalAt = new Map<string, number>();
  let feeding = true;
  let fed = 0;
  // A steady stream of refunds, each its own order.
  const feeder = (async () => {
    const tick = 250;
    while (feeding) {
      const n = Math.max(1, Math.round((o.feedPerS * tick) / 1000));
      const refunds = makeRefunds(`c${caseNo}f${fed}`, n);
      fed++;
      await seedOrders(o.sandbox.url, refunds);
      await producer.enqueueBulk(refunds);
      ids.push(...refunds.map((r) => r.refundRequestId));
      await sleep(tick);
    }
  })();
  // Final times, sampled every 200 ms.
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const open = ids.filter((id) => !finalAt.has(id));
      for (let i = 0; i < open.length; i += 500) {
        const chunk = open.slice(i, i + 500);
        const records = await producer.store.getMany(chunk);
        const t = Date.now();
        records.forEach((r, j) => {
          if (r && FINAL_STATES.has(r.state)) finalAt.set(chunk[j]!, t);
        });
      }
      await sleep(200);
    }
  })();

  const survivor = await startWorker(`s${caseNo}`, env);
  let victim = await startWorker(`v${caseNo}k0`, env);
  const m: RecoveryMeasure = {
    ...c,
    kills: 0,
    perKillMs: [],
    byState: {},
    held: 0,
    notPickedUp: 0,
    ratePerSBefore: 0,
    ratePerSAfter: 0,
    windowMs: 0,
  };
  const windowMs = o.windowMs;
  m.windowMs = windowMs;
  let finalsBefore = 0;
  let finalsAfter = 0;
  try {
    // Warm-up to a steady state, then the "before" window of the first kill.
    await sleep(5_000 + windowMs);
    for (let k = 0; k < o.kills; k++) {
      let held: Job[] = [];
      const waitUntil = Date.now() + 30_000;
      while (held.length < 3 && Date.now() < waitUntil) {
        held = await activeOf(queues, victim.id);
        if (held.length < 3) await sleep(20);
      }
      const killedAt = Date.now();
      process.kill(victim.child.pid!, "SIGKILL");
      await victim.exited;
      // Classify what the dead process held by its record (and GatePay's ledger).
      const states = new Map<string, HeldState>();
      for (const job of held) {
        const id = String((job.data as { refundRequestId: string }).refundRequestId);
        const record = await producer.store.get(id);
        if (job.processedBy?.startsWith("poll-") === true) {
          states.set(job.id!, "poll job active");
        } else if (record?.state === "submitting") states.set(job.id!, "lease, no POST");
        else if (record?.state === "queued") states.set(job.id!, "queued (job active)");
        else states.set(job.id!, "accepted, submit job finishing");
      }
      await sleep(o.latencyMs + 500); // POSTs that left before the kill are recorded by now
      const ledger = (await sandboxAdmin(o.sandbox.url, "GET", "/ledger")) as {
        refunds: { refundRequestId: string }[];
      };
      const inLedger = new Set(ledger.refunds.map((r) => r.refundRequestId));
      for (const job of held) {
        const id = String((job.data as { refundRequestId: string }).refundRequestId);
        if (states.get(job.id!) === "lease, no POST" && inLedger.has(id)) {
          states.set(job.id!, "POST sent, answer lost");
        }
      }
      const pending = new Map(held.map((j) => [j.id!, j]));
      const queueOf = (j: Job) => (j.processedBy?.startsWith("poll-") ? queues[1]! : queues[0]!);
      let last = 0;
      const giveUp = killedAt + 3 * (c.lockDurationMs + c.stalledIntervalMs) + 30_000;
      while (pending.size > 0 && Date.now() < giveUp) {
        for (const [jobId, job] of pending) {
          const got = await pickedUp(queueOf(job), job, killedAt);
          if (got === "not-held") {
            pending.delete(jobId);
            held = held.filter((j) => j.id !== jobId);
          } else if (got === "yes") {
            const ms = Date.now() - killedAt;
            const st = states.get(jobId)!;
            (m.byState[st] ??= []).push(ms);
            last = Math.max(last, ms);
            pending.delete(jobId);
          }
        }
        await sleep(50);
      }
      m.notPickedUp += pending.size;
      m.held += held.length;
      m.perKillMs.push(last);
      m.kills++;
      // Throughput around the kill: finals per second before it and after it.
      await sleep(Math.max(0, killedAt + windowMs - Date.now()));
      const inWindow = (from: number, to: number) =>
        [...finalAt.values()].filter((t) => t >= from && t < to).length;
      finalsBefore += inWindow(killedAt - windowMs, killedAt);
      finalsAfter += inWindow(killedAt, killedAt + windowMs);
      o.log(
        `  ${c.label} kill ${k + 1}: ${held.length} held, all picked up in ${(last / 1000).toFixed(1)} s` +
          (pending.size > 0 ? ` (${pending.size} not)` : ""),
      );
      victim = await startWorker(`v${caseNo}k${k + 1}`, env);
      await sleep(windowMs); // the next kill's "before" window starts from a steady state
    }
  } finally {
    feeding = false;
    await feeder;
    sampling = false;
    await sampler;
    await stopWorker(victim).catch(() => undefined);
    await stopWorker(survivor).catch(() => undefined);
    await producer.close();
    await redis.quit();
  }
  const seconds = (m.kills * windowMs) / 1000;
  m.ratePerSBefore = finalsBefore / seconds;
  m.ratePerSAfter = finalsAfter / seconds;
  return m;
}

/** Runs every timing case in turn on the same Redis and sandbox. */
export async function runRecovery(o: RecoveryOptions): Promise<RecoveryMeasure[]> {
  await o.sandbox.reset();
  await o.sandbox.setLatency(o.latencyMs);
  const out: RecoveryMeasure[] = [];
  try {
    let n = 0;
    for (const c of o.cases) out.push(await runCase(c, o, ++n));
  } finally {
    await o.sandbox.setLatency(0);
  }
  return out;
}

/** p50 / p99 helpers for the report. */
export function recoveryPercentiles(values: readonly number[]): {
  p50: number;
  p99: number;
  max: number;
} {
  return {
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
  };
}
