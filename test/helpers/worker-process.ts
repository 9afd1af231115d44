/**
 * The refund workers as a child process, for crash tests: a test can SIGKILL it at any
 * instruction, which no in-process test can do (DESIGN.md "Scale": a worker can die at
 * any instruction).
 *
 * Run as a script (`node --import tsx test/helpers/worker-process.ts`), configured by
 * the environment:
 * - the service's variables (`REDIS_URL`, `QUEUE_PREFIX`, `GATEPAY_BASE_URL`,
 *   `GATEPAY_CLIENT_ID`, `GATEPAY_SECRET_KEY`, `WORKER_CONCURRENCY`, …), read by
 *   `loadConfig`;
 * - test-only: `TEST_SETTINGS`, JSON overrides of RefundSettings (as FAST_SETTINGS in
 *   ./pipeline.ts); `TEST_RECONCILER_INTERVAL_MS` (default 500); `TEST_WORKER_ID`, the
 *   worker id used in submit leases (`<workerId>/<jobId>/<attempt>`) and logs (default a
 *   random UUID); `TEST_BLOCK_MS`: on SIGUSR2 the child blocks its event loop (a busy
 *   wait) for this long, delaying every timer, lock renewal included (default 0: ignored).
 *
 * It prints `READY` on stdout once both workers fetch jobs, writes its JSON log lines on
 * stderr, and on SIGTERM or SIGINT closes the workers (in-flight jobs finish and are
 * recorded) and exits 0. A start-up failure exits 1.
 *
 * Tests start it with {@link startWorkerProcess}, which waits for `READY` and kills the
 * child when the test process exits, whatever happened.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CONFIG_ENV_VARS, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import type { RefundSettings } from "../../src/worker/context.js";
import { startRefundWorkers } from "../../src/worker/start-workers.js";

const SCRIPT_PATH = fileURLToPath(import.meta.url);

/** What the child prints on stdout once its workers are ready. */
export const READY_LINE = "READY";

const ms = z.number().int().nonnegative();
/** `TEST_SETTINGS`: a strict subset of RefundSettings; nested objects are whole. */
const TestSettings = z
  .object({
    submitMaxAttempts: z.number().int().positive(),
    timeoutMs: ms,
    leaseMarginMs: ms,
    unknownOutcomeGraceMs: ms,
    backoff: z.object({ baseMs: ms, capMs: ms }).strict(),
    poll: z.object({ firstDelayMs: ms, maxDelayMs: ms, deadlineMs: ms }).strict(),
  })
  .partial()
  .strict();

function parseSettings(json: string | undefined): Partial<RefundSettings> {
  if (json === undefined || json === "") return {};
  const parsed = TestSettings.parse(JSON.parse(json));
  const out: Partial<RefundSettings> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== undefined) Object.assign(out, { [key]: value });
  }
  return out;
}

/** The child's main: start, print READY, drain and exit 0 on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const env = process.env;
  const config = loadConfig(env, { require: ["gatepay"] });
  const workerId = env["TEST_WORKER_ID"] || randomUUID();
  const reconcilerIntervalMs = Number(env["TEST_RECONCILER_INTERVAL_MS"] ?? "500");
  if (!Number.isInteger(reconcilerIntervalMs) || reconcilerIntervalMs < 0) {
    throw new Error("TEST_RECONCILER_INTERVAL_MS must be an integer ≥ 0");
  }
  const logger = createLogger({
    level: config.logLevel,
    destination: process.stderr,
    name: `worker-${workerId}`,
  });

  const starting = startRefundWorkers({
    config,
    logger,
    workerId,
    settings: parseSettings(env["TEST_SETTINGS"]),
    reconciler: { intervalMs: reconcilerIntervalMs },
    stalledIntervalMs: 1_000,
    lockDurationMs: 2_000,
  });
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining in-flight jobs");
    // A signal during start-up waits for the start, then closes what started.
    const workers = await starting.catch(() => undefined);
    await workers?.close();
    logger.info("workers closed");
    process.exit(0);
  };
  const blockMs = Number(env["TEST_BLOCK_MS"] ?? "0");
  if (blockMs > 0) {
    process.on("SIGUSR2", () => {
      logger.warn({ blockMs }, "blocking the event loop");
      const until = performance.now() + blockMs;
      while (performance.now() < until) {
        // Busy: nothing else runs in this process meanwhile, as on a CPU-bound loop.
      }
      logger.warn({ blockMs }, "event loop unblocked");
    });
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      shutdown(signal).catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
    });
  }

  const workers = await starting;
  await workers.waitUntilReady();
  if (stopping) return;
  process.stdout.write(`${READY_LINE}\n`);
}

/** How a child ended. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running worker child. */
export interface WorkerProcess {
  readonly pid: number;
  /** The id in its submit leases (`<workerId>/<jobId>/<attempt>`) and logs. */
  readonly workerId: string;
  /** Resolves when the child has exited. */
  readonly exited: Promise<WorkerExit>;
  /** True until the child has exited. */
  isRunning(): boolean;
  /** The last log lines it wrote (stderr), newest last; at most 400. */
  logs(): string[];
  /** Sends `signal` to the child by pid (nothing when it has exited). */
  kill(signal: NodeJS.Signals): void;
  /** SIGKILLs the child if it still runs and waits for it to exit. Idempotent. */
  stop(): Promise<WorkerExit>;
}

/** Options of {@link startWorkerProcess}. */
export interface StartWorkerProcessOptions {
  /** The service's variables (REDIS_URL, QUEUE_PREFIX, GATEPAY_*, …). */
  env: Readonly<Record<string, string>>;
  /** RefundSettings overrides, sent as `TEST_SETTINGS`. */
  settings?: Partial<RefundSettings>;
  /** Reconciler interval, ms; default 500. */
  reconcilerIntervalMs?: number;
  /** Lease owner prefix; default `w-<random>`. */
  workerId?: string;
  /** On SIGUSR2, block the child's event loop this long, ms (`TEST_BLOCK_MS`); default off. */
  blockMsOnSignal?: number;
  /** How long to wait for READY, ms; default 60,000 (tsx compiles on start). */
  readyTimeoutMs?: number;
}

const MAX_LOG_LINES = 400;
const liveChildren = new Set<number>();
process.once("exit", () => {
  for (const pid of liveChildren) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/**
 * Starts the workers in a child process and resolves once it printed READY. Variables
 * of the service that the parent has but `env` does not name are removed, so the child
 * sees only what the test chose.
 *
 * @throws Error with the child's last output when it exits or stays silent before READY.
 */
export async function startWorkerProcess(
  options: StartWorkerProcessOptions,
): Promise<WorkerProcess> {
  const workerId = options.workerId ?? `w-${randomUUID().slice(0, 8)}`;
  const env: Record<string, string | undefined> = { ...process.env };
  for (const v of CONFIG_ENV_VARS) delete env[v.name];
  Object.assign(env, options.env, {
    TEST_WORKER_ID: workerId,
    TEST_SETTINGS: JSON.stringify(options.settings ?? {}),
    TEST_RECONCILER_INTERVAL_MS: String(options.reconcilerIntervalMs ?? 500),
    TEST_BLOCK_MS: String(options.blockMsOnSignal ?? 0),
  });

  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT_PATH], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) {
    throw new Error("could not spawn the worker process");
  }
  const pid = child.pid;
  liveChildren.add(pid);

  const lines: string[] = [];
  let partial = "";
  child.stderr.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter(Boolean));
    if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
  });

  let running = true;
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      liveChildren.delete(pid);
      resolve({ code, signal });
    });
  });

  const kill = (signal: NodeJS.Signals): void => {
    if (!running) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Exited in between.
    }
  };
  const handle: WorkerProcess = {
    pid,
    workerId,
    exited,
    isRunning: () => running,
    logs: () => (partial ? [...lines, partial] : [...lines]),
    kill,
    async stop() {
      kill("SIGKILL");
      return exited;
    },
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  let stdout = "";
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker process gave no ${READY_LINE} within ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.split("\n").includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited before ${READY_LINE} (code ${code}, ${signal})`));
    });
  });
  try {
    await ready;
  } catch (err) {
    await handle.stop();
    const tail = handle.logs().slice(-20).join("\n");
    throw new Error(`${(err as Error).message}; last output:\n${tail}`, { cause: err });
  }
  return handle;
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(SCRIPT_PATH);
  } catch {
    return false;
  }
}

if (isMain()) {
  main().catch((err: unknown) => {
    process.stderr.write(`worker process failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
