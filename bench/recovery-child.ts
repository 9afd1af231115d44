/**
 * Child-process entry of the recovery benchmark (bench/recovery.ts): the refund workers as
 * shipped (`startRefundWorkers`, config from the environment, WORKER_LOCK_DURATION_MS and
 * WORKER_STALLED_INTERVAL_MS included), with the worker id the parent chose
 * (`BENCH_WORKER_ID`), so the parent can tell which BullMQ jobs this process holds (their
 * `processedBy` is `submit-<id>` or `poll-<id>`). Sends `{ ready: true }` once both
 * workers fetch jobs; the parent ends it with SIGKILL.
 */
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { startRefundWorkers } from "../src/worker/start-workers.js";

const config = loadConfig(process.env, { require: ["gatepay"] });
const workers = await startRefundWorkers({
  config,
  logger: createLogger({ level: config.logLevel, destination: process.stderr }),
  workerId: process.env["BENCH_WORKER_ID"] ?? "bench",
  reconciler: { intervalMs: 0 },
});
await workers.waitUntilReady();
process.send?.({ ready: true });
process.on("disconnect", () => {
  void workers.close().then(() => process.exit(0));
});
