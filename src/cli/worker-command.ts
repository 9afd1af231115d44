/**
 * `gatepay-refunds worker`: the submit and poll workers (and, once wired in, the HTTP
 * server) until SIGTERM or SIGINT, then a drain: in-flight jobs finish and their results
 * are stored before the process exits 0.
 *
 * The HTTP server (webhooks, `POST /refunds`, health, metrics, dashboard) is wired in by
 * the service-surface issue, at the marked line of `runWorker`, unless `--no-http` is
 * given. Until then the flag is accepted and the worker runs without the server.
 */
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { startRefundWorkers } from "../worker/start-workers.js";
import type { CliIo } from "./output.js";
import { listenForStopSignal } from "./shutdown.js";

interface WorkerFlags {
  /** False with `--no-http`. */
  http: boolean;
}

/** Registers `worker` on `program`. */
export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command("worker")
    .description(
      "run the submit and poll workers until SIGTERM/SIGINT, then drain in-flight work and exit 0",
    )
    .option("--no-http", "run without the HTTP server")
    .action((flags: WorkerFlags) => runWorker(flags, io));
}

async function runWorker(flags: WorkerFlags, io: CliIo): Promise<void> {
  const config = loadConfig(io.env, { require: ["gatepay"] });
  const logger = createLogger({ level: config.logLevel, name: "gatepay-refunds" });
  const stop = listenForStopSignal(io);
  try {
    const workers = await startRefundWorkers({ config, logger });
    try {
      await Promise.race([workers.waitUntilReady(), stop.received]);
      // The HTTP server starts here when flags.http is true (service-surface issue).
      if (stop.signal === undefined) {
        logger.info(
          {
            queuePrefix: config.queuePrefix,
            gatepayBaseUrl: config.gatepay.baseUrl,
            concurrency: config.worker.concurrency,
            http: flags.http ? "not started by this command yet" : "off (--no-http)",
          },
          "workers running",
        );
      }
      const signal = await stop.received;
      logger.info({ signal }, "stopping: draining in-flight jobs");
    } finally {
      // Also on a failed start-up: whatever opened must close, or the process would hang.
      await workers.close();
    }
    logger.info("workers stopped");
  } finally {
    stop.dispose();
  }
}
