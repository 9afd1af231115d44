/**
 * `gatepay-refunds worker`: the submit and poll workers and the HTTP server (webhooks,
 * `POST /refunds`, health, metrics, dashboard) until SIGTERM or SIGINT, then a drain:
 * the HTTP server stops taking requests, in-flight jobs finish and their results are
 * stored, and the process exits 0. `--no-http` runs the workers alone.
 */
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { createRefundProducer, producerOptionsFromConfig } from "../producer/enqueue-refund.js";
import { startHttpServer, type HttpServer } from "../http/server.js";
import { createMetrics } from "../worker/metrics.js";
import { startRefundWorkers } from "../worker/start-workers.js";
import type { CliIo } from "./output.js";
import { listenForStopSignal } from "./shutdown.js";
import { startTracing } from "./tracing.js";

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
    const workers = await startRefundWorkers({ config, logger, metrics });
    const producer = createRefundProducer(producerOptionsFromConfig(config));
    let http: HttpServer | undefined;
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
      await http?.close();
      await workers.close();
      await producer.close();
    }
    logger.info("workers stopped");
  } finally {
    stop.dispose();
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, "tracing: flush failed"));
  }
}
