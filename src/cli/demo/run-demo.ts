/**
 * `gatepay-refunds demo` (`npm run demo`): the main job on embedded defaults, on this
 * machine, in well under a minute. It finds (or starts) a Redis, starts the GatePay
 * sandbox in its strictest mode (a re-posted refundRequestId moves money again) with
 * some faults switched on, a worker with its HTTP server receiving GatePay's webhooks,
 * runs a sample batch through the batch command's code with live progress, shows the
 * over-refund guard, prints a summary and checks the sandbox's ledger: no refund paid
 * twice. Then it stops everything it started and deletes its keys.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../config.js";
import { OverRefundError } from "../../domain/errors.js";
import { REFUND_STATES } from "../../domain/refund-state.js";
import { startHttpServer } from "../../http/server.js";
import { createLogger } from "../../logger.js";
import { summarizeBatch } from "../../producer/batch/batch-report.js";
import { runBatch } from "../../producer/batch/run-batch.js";
import { createRefundProducer } from "../../producer/enqueue-refund.js";
import { DEMO_CLIENT_ID, DEMO_SECRET_KEY } from "../../sandbox/fixtures/demo-credentials.js";
import { startSandbox, type Sandbox } from "../../sandbox/index.js";
import { deleteKeysWithPrefix } from "../../store/redis-connection.js";
import { createMetrics } from "../../worker/metrics.js";
import { startRefundWorkers } from "../../worker/start-workers.js";
import { watchBatch } from "../batch-progress.js";
import { describeRun, describeSummary } from "../batch-text.js";
import type { CliIo } from "../output.js";
import { findRedis } from "./find-redis.js";
import { demoData, toCsv } from "./sample-data.js";

export interface DemoOptions {
  /** Direct-payment orders in the sample (default 180) and convert orders (default 20). */
  directOrders?: number;
  convertOrders?: number;
  /** Keep the demo's Redis keys afterwards (default false: deleted). */
  keep?: boolean;
  /**
   * With `keep`: after the summary, leave the sandbox, worker and console running, print
   * the console's address and tokens, and stop when this resolves (the CLI: Ctrl-C).
   */
  untilStopped?: Promise<unknown>;
}

/** Runs the demo; resolves true when every check held. Never leaves anything running. */
export async function runDemo(io: CliIo, options: DemoOptions = {}): Promise<boolean> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), "gatepay-demo-"));
  cleanup.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  try {
    io.out("gatepay-refund-worker demo: GatePay sandbox + worker + a sample refund batch\n");
    const redisFound = await findRedis(io.env);
    cleanup.push(() => redisFound.stop());
    io.out(`Redis        ${redisFound.url} (${redisFound.source})`);
    const prefix = `{gatepay-demo-${randomBytes(3).toString("hex")}}`;
    // Registered early so it runs last, after everything that writes has stopped.
    if (!options.keep) cleanup.push(() => deleteKeysWithPrefix(redisFound.url, prefix));

    const data = demoData(options.directOrders ?? 180, options.convertOrders ?? 20);
    const sandbox: Sandbox = await startSandbox({
      clientId: DEMO_CLIENT_ID,
      secretKey: DEMO_SECRET_KEY,
      orders: data.orders,
      duplicateMode: "duplicate",
      settleDelayMs: 1_500,
      failureRatio: 0.05,
      failureReason: "receiving account frozen (simulated)",
      seed: 7,
      webhook: { schedule: "compressed", sendProcess: true },
      // Some unknown outcomes and retries, to show they cost nothing but time.
      faults: { orderRefund: { http500: 0.03, dropAfter: 0.03, http429: 0.02, latencyMs: 20 } },
    });
    cleanup.push(() => sandbox.close());
    io.out(
      `GatePay      ${sandbox.url} (sandbox: ${data.orders.length} paid orders, strict duplicate mode, 5% failures, faults on)`,
    );

    const config = loadConfig(
      {
        REDIS_URL: redisFound.url,
        QUEUE_PREFIX: prefix,
        GATEPAY_BASE_URL: sandbox.url,
        GATEPAY_CLIENT_ID: DEMO_CLIENT_ID,
        GATEPAY_SECRET_KEY: DEMO_SECRET_KEY,
        GATEPAY_TIMEOUT_MS: "2000",
        WORKER_CONCURRENCY: "50",
        POLL_FIRST_DELAY_MS: "2000",
        POLL_MAX_DELAY_MS: "4000",
        POLL_DEADLINE_MS: "120000",
        HTTP_PORT: "0",
        API_TOKEN: randomBytes(16).toString("hex"),
        ADMIN_TOKEN: randomBytes(16).toString("hex"),
        LOG_LEVEL: "info",
      },
      { require: ["gatepay"] },
    );
    const logPath = join(dir, "worker.log");
    const logFile = createWriteStream(logPath);
    cleanup.push(() => new Promise((r) => logFile.end(r)));
    const logger = createLogger({ level: "info", destination: logFile, name: "demo" });
    const metrics = createMetrics();
    const workers = await startRefundWorkers({
      config,
      logger,
      metrics,
      // A demo cannot wait GatePay's production grace periods: seconds instead.
      settings: { unknownOutcomeGraceMs: 1_500 },
      reconciler: { intervalMs: 5_000 },
    });
    cleanup.push(() => workers.close());
    const producer = createRefundProducer({
      redisUrl: redisFound.url,
      prefix,
      submitMaxAttempts: config.worker.submitMaxAttempts,
    });
    cleanup.push(() => producer.close());
    const http = await startHttpServer({ config, workers, producer, logger, metrics });
    cleanup.unshift(() => http.close()); // closed first: no webhooks into closing workers
    sandbox.configure({ webhookUrl: `${http.url}/webhooks/gatepay` });
    await workers.waitUntilReady();
    io.out(
      `Worker       concurrency ${config.worker.concurrency}, webhooks at ${http.url}/webhooks/gatepay, log ${logPath}\n`,
    );

    // The batch, through the same code as `gatepay-refunds batch FILE --wait`.
    const file = join(dir, "sample-refunds.csv");
    writeFileSync(file, toCsv(data.rows));
    const batchId = `demo-${Date.now()}`;
    const run = await runBatch(producer, file, { batchId, journalDir: dir });
    cleanup.push(() => run.dispose());
    io.out(describeRun(run));
    const progress = await watchBatch(producer, run, { progressEvery: 2 }, io);
    const summary = await summarizeBatch(producer, run);
    io.out(describeSummary(summary, progress, undefined));

    // The over-refund guard: the last order was refunded in full; GatePay told us its
    // amount, so 0.01 more is refused before anything is sent.
    const sentBefore = sandbox.counters().requests.orderRefund;
    let guarded = false;
    try {
      await producer.enqueue(data.overRefund);
    } catch (err) {
      if (!(err instanceof OverRefundError)) throw err;
      guarded = true;
      io.out(
        `\nOver-refund  ${data.overRefund.refundRequestId}: refused before sending (${err.record.lastError?.code}): ${err.message}`,
      );
    }
    const nothingSent = sandbox.counters().requests.orderRefund === sentBefore;

    // Summary and the ledger check.
    const counts = await producer.getBatch(batchId);
    io.out("\nstate        refunds");
    for (const state of REFUND_STATES) {
      if (counts[state]) io.out(`${state.padEnd(12)} ${String(counts[state]).padStart(7)}`);
    }
    const ledger = sandbox.ledger.refunds;
    const perId = new Map<string, number>();
    for (const r of ledger) perId.set(r.refundRequestId, (perId.get(r.refundRequestId) ?? 0) + 1);
    const twice = [...perId.entries()].filter(([, c]) => c > 1);
    const c = sandbox.counters();
    io.out(
      `\nGatePay saw  ${c.requests.orderRefund + c.requests.convertRefund} refund POSTs (faults: ` +
        `${sumFaults(c.faults.orderRefund)} injected), ${c.webhooks.acked} webhooks acknowledged`,
    );
    io.out(
      `Ledger       ${ledger.length} refunds for ${perId.size} refund ids: ${twice.length === 0 ? "none paid twice" : `PAID TWICE: ${twice.map(([id]) => id).join(", ")}`}`,
    );
    const ok = progress.done && twice.length === 0 && guarded && nothingSent;
    io.out(
      ok ? "\nDemo OK: every refund final, none paid twice." : "\nDemo FAILED a check (see above).",
    );
    if (options.keep) io.out(`Keys kept under ${prefix} in ${redisFound.url}`);
    if (options.keep && options.untilStopped) {
      // Tokens made for this run only, printed so the person at the terminal can sign in.
      io.out(
        `\nConsole      ${http.url}/console/batches/${batchId}\n` +
          `             sign in with the API token ${config.http.apiToken?.reveal() ?? ""}\n` +
          `             (replay asks for the admin token ${config.http.adminToken?.reveal() ?? ""})\n` +
          "Sandbox, worker and console keep running: Ctrl-C to stop.",
      );
      await options.untilStopped;
      io.out("Stopping.");
    }
    return ok;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

function sumFaults(counts: Record<string, number> | undefined): number {
  return Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
}
