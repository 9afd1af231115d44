/**
 * `gatepay-refunds worker`: the submit and poll workers and the HTTP server (webhooks,
 * `POST /refunds`, health, metrics, dashboard) until SIGTERM or SIGINT, then a drain:
 * the HTTP server stops taking requests, in-flight jobs finish and their results are
 * stored, and the process exits 0. `--no-http` runs the workers alone.
 */
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { createLogger, type Logger } from "../logger.js";
import { createRefundProducer, producerOptionsFromConfig } from "../producer/enqueue-refund.js";
import { startHttpServer, type HttpServer } from "../http/server.js";
import { createMetrics } from "../worker/metrics.js";
import { checkRedisCredentials } from "../store/redis-auth-check.js";
import { redisTargetOf } from "../store/redis-connection.js";
import { createRedisProblemReporter } from "../store/redis-problem-reporter.js";
import { withTimeout } from "../with-timeout.js";
import { startRefundWorkers } from "../worker/start-workers.js";
import { CliExit, EXIT_CODES, type CliIo } from "./output.js";
import { listenForStopSignal, type StopSignal } from "./shutdown.js";
import { startTracing } from "./tracing.js";

/** How long start-up may wait for Redis before it says so (once). */
const SLOW_START_MS = 10_000;

const STOPPED: unique symbol = Symbol("stopped");

/**
 * `starting`, unless a stop signal comes first: start-up waits for Redis (a cluster that
 * never becomes ready, a server not answering) with nothing else to stop it, so a signal
 * then ends the process (exit 1, one line) rather than being held until Redis answers.
 * Says once, after {@link SLOW_START_MS}, that it is still waiting.
 */
async function startedUnlessStopped<T extends { close(): Promise<void> }>(
  starting: Promise<T>,
  stop: StopSignal,
  logger: Logger,
): Promise<T> {
  const slow = setTimeout(() => {
    logger.warn(
      { waitedMs: SLOW_START_MS },
      "start-up is still waiting for Redis (not answering, or a cluster not ready); SIGTERM stops it",
    );
  }, SLOW_START_MS);
  try {
    const first: T | typeof STOPPED = await Promise.race([
      starting,
      stop.received.then((): typeof STOPPED => STOPPED),
    ]);
    if (first !== STOPPED) return first;
    // Whatever opened meanwhile is closed if start-up ever finishes; the exit does not wait.
    starting.then((w) => w.close()).catch(() => undefined);
    throw new CliExit(
      EXIT_CODES.failure,
      `stopped by ${stop.signal ?? "a signal"} during start-up: Redis never became ready`,
    );
  } finally {
    clearTimeout(slow);
  }
}

/** The rejection of a shutdown that outlasted `SHUTDOWN_TIMEOUT_MS`. */
const SHUTDOWN_TIMEOUT = new Error("shutdown timeout");

interface WorkerFlags {
  /** False with `--no-http`. */
  http: boolean;
}

/** Registers `worker` on `program`. */
export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command("worker")
    .description(
      "run the submit and poll workers and the HTTP server until SIGTERM/SIGINT, then drain in-flight work and exit 0",
    )
    .option("--no-http", "run without the HTTP server")
    .action((flags: WorkerFlags) => runWorker(flags, io));
}

async function runWorker(flags: WorkerFlags, io: CliIo): Promise<void> {
  const config = loadConfig(io.env, { require: ["gatepay"] });
  const logger = createLogger({ level: config.logLevel, name: "gatepay-refunds" });
  const stop = listenForStopSignal(io);
  const metrics = createMetrics({ queuePrefix: config.queuePrefix });
  const tracing = await startTracing(config.tracing);
  try {
    // A password Redis refuses fails the same way on every retry: stop now, one line
    // (RedisAuthError, exit 2), before any connection that would retry forever is open.
    // On a cluster: its seeds, with the credentials the cluster connection uses.
    await checkRedisCredentials(redisTargetOf(config));
    const workers = await startedUnlessStopped(
      startRefundWorkers({ config, logger, metrics }),
      stop,
      logger,
    );
    const producer = createRefundProducer(producerOptionsFromConfig(config));
    // Without listeners BullMQ prints these queues' connection errors to the console,
    // with the failed command's arguments (an AUTH password).
    const producerProblems = createRedisProblemReporter(logger, {
      bindings: { component: "producer" },
    });
    producer.queues.submit.on("error", (err: unknown) => producerProblems.report(err));
    producer.queues.poll.on("error", (err: unknown) => producerProblems.report(err));
    let http: HttpServer | undefined;
    const timeoutMs = config.worker.shutdownTimeoutMs;
    const closeAll = async () => {
      await http?.close();
      await workers.close();
      await producer.close();
    };
    let closed = false;
    try {
      await Promise.race([workers.waitUntilReady(), stop.received]);
      if (stop.signal === undefined && flags.http) {
        http = await startHttpServer({ config, workers, producer, logger, metrics });
      }
      if (stop.signal === undefined) {
        logger.info(
          {
            queuePrefix: config.queuePrefix,
            gatepayBaseUrl: config.gatepay.baseUrl,
            concurrency: config.worker.concurrency,
            // What an operator tunes for crash recovery (README "Recovery after a crash").
            recoveryTimeMs: workers.recovery.objectives,
            http: http ? http.url : "off (--no-http)",
          },
          "workers running",
        );
      }
      const signal = await stop.received;
      logger.info({ signal }, "stopping: draining in-flight jobs");
    } finally {
      // Also on a failed start-up: whatever opened must close, or the process would hang.
      // The server first (no new webhooks or refunds), then the workers (drain), then Redis.
      // Bounded: with Redis unreachable a close would wait for it forever; an unfinished
      // job is safe (its lease expires and the next worker looks GatePay up first).
      closed = await withTimeout(closeAll(), timeoutMs, () => SHUTDOWN_TIMEOUT).then(
        () => true,
        (err: unknown) => {
          if (err === SHUTDOWN_TIMEOUT) return false;
          throw err;
        },
      );
    }
    if (!closed) {
      logger.error({ timeoutMs }, "shutdown did not finish in time (SHUTDOWN_TIMEOUT_MS)");
      throw new CliExit(
        EXIT_CODES.failure,
        `shutdown did not finish within SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms): exiting; unfinished jobs are retried by the next worker`,
      );
    }
    logger.info("workers stopped");
  } finally {
    stop.dispose();
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, "tracing: flush failed"));
  }
}
