/**
 * Unknown outcomes, resolved: a batch of refunds through the whole pipeline (workers with
 * the DEFAULT settings: 10 s request timeout, GATEPAY_LOOKUP_GRACE_MS 10 s, the default
 * backoff) against the sandbox process answering every GatePay request with 10 % HTTP 500
 * (300000), 5 % dropped connections (half before, half after the refund is recorded) and
 * 2 % late answers (after 30 s, past the timeout). For every refund that met an unknown
 * outcome: the time from the first one (its first `submit-deferred`) to its record's final
 * state (issue 14 item 3: target p99 under 45 s), and, as a second figure, to the outcome
 * being resolved (GatePay holds the refund: accepted on a re-send, or found by a lookup,
 * possibly already settled). Its baseline is the same batch, same pipeline, without
 * faults, in the same run. The sandbox's ledger is checked for any refund created twice.
 *
 * The faulty batch runs twice, same faults: once as the product's default deployment runs
 * (`gatepay-refunds worker`: workers plus the HTTP server with `POST /webhooks/gatepay`,
 * wired as src/cli/worker-command.ts wires them, the sandbox's `webhookUrl` pointing at it,
 * GatePay's default retry schedule), once with the workers alone (every notification lost:
 * only polls finish refunds). The sandbox's faults apply to GatePay requests it answers,
 * not to the notifications it delivers.
 */
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { createRefundProducer, producerOptionsFromConfig } from "../src/producer/enqueue-refund.js";
import { startHttpServer, WEBHOOK_PATH, type HttpServer } from "../src/http/server.js";
import { createMetrics } from "../src/worker/metrics.js";
import { startRefundWorkers } from "../src/worker/start-workers.js";
import type { RefundRecord } from "../src/domain/refund-record.js";
import { FINAL_STATES } from "../src/domain/refund-state.js";
import {
  BENCH_CLIENT_ID,
  BENCH_SECRET,
  makeRefunds,
  sandboxAdmin,
  seedOrders,
  type BenchRefund,
} from "./refunds.js";
import type { SandboxProcess } from "./sandbox-process.js";
import { percentile } from "./stats.js";

/** The fault ratios of the issue (10 % HTTP 500, 5 % dropped, 2 % late). */
export const UNKNOWN_OUTCOME_FAULTS = {
  http500: 0.1,
  dropBefore: 0.025,
  dropAfter: 0.025,
  slowAfter: 0.02,
  slowAfterMs: 30_000,
} as const;

/** One faulty batch: with notifications delivered, or with polls only. */
export interface UnknownOutcomeVariant {
  /** Refunds that met at least one unknown outcome. */
  unknownRefunds: number;
  /** Unknown outcome → final state (the record's), ms. */
  finalP50Ms: number;
  finalP99Ms: number;
  finalMaxMs: number;
  /** Unknown outcome → accepted (GatePay known to hold the refund), ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Final states of the faulty batch, e.g. `{ succeeded: 300 }`. */
  states: Record<string, number>;
  /** Enqueue → every refund final, ms. */
  batchMs: number;
  /** Refunds the sandbox's ledger shows more than once (must be 0). */
  duplicates: number;
}

export interface UnknownOutcomeResult {
  refunds: number;
  /** Production default: workers plus the HTTP server, notifications delivered. */
  notified: UnknownOutcomeVariant;
  /** Workers alone: every notification lost, only polls finish refunds. */
  pollsOnly: UnknownOutcomeVariant;
  /** Enqueue → every refund final, fault-free, workers alone, ms. */
  baselineBatchMs: number;
  lookupGraceMs: number;
  timeoutMs: number;
}

export interface UnknownOutcomeOptions {
  redisUrl: string;
  sandbox: SandboxProcess;
  refunds: number;
  /** Longest a run may take, ms. */
  timeoutMs: number;
  log?: (line: string) => void;
}

let runs = 0;

/** States that say GatePay holds the refund (a lookup may find it already settled). */
const HELD = new Set(["accepted", "processing", "succeeded", "failed"]);

/** When the record first showed GatePay holding the refund, epoch ms; NaN if never. */
function heldAtMs(r: RefundRecord): number {
  const h = r.history.find((x) => HELD.has(x.state));
  return h ? Date.parse(h.at) : NaN;
}

/** When the record reached its final state, epoch ms; NaN if not (yet). */
function finalAtMs(r: RefundRecord): number {
  if (!FINAL_STATES.has(r.state)) return NaN;
  const h = r.history.find((x) => FINAL_STATES.has(x.state));
  return h ? Date.parse(h.at) : NaN;
}

/** One batch through fresh workers; resolves with every record once all are final. */
async function runBatch(
  o: UnknownOutcomeOptions,
  refunds: readonly BenchRefund[],
  faulty: boolean,
  webhooks: boolean,
): Promise<{
  records: RefundRecord[];
  batchMs: number;
  duplicates: number;
  timeoutMs: number;
  graceMs: number;
}> {
  await o.sandbox.reset();
  await seedOrders(o.sandbox.url, refunds);
  // Lookups and polls meet the faults too: GatePay does not fail only on creations.
  await sandboxAdmin(
    o.sandbox.url,
    "POST",
    "/faults",
    faulty ? { default: UNKNOWN_OUTCOME_FAULTS } : {},
  );
  const config = loadConfig({
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: `bench-unknown-${process.pid}-${++runs}`,
    GATEPAY_BASE_URL: o.sandbox.url,
    GATEPAY_CLIENT_ID: BENCH_CLIENT_ID,
    GATEPAY_SECRET_KEY: BENCH_SECRET,
    LOG_LEVEL: "silent",
    HTTP_PORT: "0",
  });
  const logger = createLogger({ level: "silent" });
  // As src/cli/worker-command.ts wires them: workers, producer, then the HTTP server.
  const metrics = createMetrics({ queuePrefix: config.queuePrefix });
  const workers = await startRefundWorkers({ config, logger, metrics });
  const producer = createRefundProducer(producerOptionsFromConfig(config));
  let http: HttpServer | undefined;
  try {
    await workers.waitUntilReady();
    if (webhooks) {
      http = await startHttpServer({ config, workers, producer, logger, metrics });
      await sandboxAdmin(o.sandbox.url, "POST", "/config", {
        webhookUrl: `${http.url}${WEBHOOK_PATH}`,
      });
    }
    const started = Date.now();
    await producer.enqueueBulk(refunds);
    const deadline = started + o.timeoutMs;
    let records: RefundRecord[] = [];
    for (;;) {
      records = (
        await Promise.all(refunds.map((r) => producer.getRefund(r.refundRequestId)))
      ).filter((r): r is RefundRecord => r !== null);
      const final = records.filter((r) => Number.isFinite(finalAtMs(r)));
      if (final.length === refunds.length) break;
      const gaveUp = records.filter((r) => ["dead", "rejected"].includes(r.state));
      if (gaveUp.length > 0) {
        throw new Error(
          `${gaveUp.length} refunds ended ${gaveUp[0]!.state} (${gaveUp[0]!.lastError?.code ?? "?"})`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(`only ${final.length} of ${refunds.length} final after ${o.timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const lastFinal = Math.max(...records.map(finalAtMs));
    return {
      records,
      batchMs: lastFinal - started,
      // Read before the reset below clears the ledger.
      duplicates: await ledgerDuplicates(o.sandbox.url),
      timeoutMs: config.gatepay.timeoutMs,
      graceMs: config.gatepay.lookupGraceMs,
    };
  } finally {
    // Stop deliveries to a server about to close (reset clears `webhookUrl`).
    if (webhooks) await o.sandbox.reset();
    await http?.close();
    await workers.close();
    await producer.close();
  }
}

/** One faulty batch, measured: unknown outcome → final and → accepted, the ledger checked. */
async function runVariant(
  o: UnknownOutcomeOptions,
  tag: string,
  webhooks: boolean,
): Promise<{ variant: UnknownOutcomeVariant; timeoutMs: number; graceMs: number }> {
  const run = await runBatch(o, makeRefunds(tag, o.refunds), true, webhooks);
  const times: number[] = [];
  const toFinal: number[] = [];
  const states: Record<string, number> = {};
  for (const r of run.records) {
    states[r.state] = (states[r.state] ?? 0) + 1;
    const unknownAt = r.history.find((h) => h.event === "submit-deferred");
    if (!unknownAt) continue;
    times.push(heldAtMs(r) - Date.parse(unknownAt.at));
    toFinal.push(finalAtMs(r) - Date.parse(unknownAt.at));
  }
  const variant: UnknownOutcomeVariant = {
    unknownRefunds: times.length,
    finalP50Ms: percentile(toFinal, 50),
    finalP99Ms: percentile(toFinal, 99),
    finalMaxMs: toFinal.length ? Math.max(...toFinal) : NaN,
    states,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: times.length ? Math.max(...times) : NaN,
    batchMs: run.batchMs,
    duplicates: run.duplicates,
  };
  const label = webhooks ? "notifications delivered" : "polls only";
  o.log?.(
    `  ${label}: unknown outcome → final over ${times.length} refunds: p50 ${sec(variant.finalP50Ms)}, ` +
      `p99 ${sec(variant.finalP99Ms)}, max ${sec(variant.finalMaxMs)} (→ accepted: p50 ${sec(variant.p50Ms)}, ` +
      `p99 ${sec(variant.p99Ms)}); batch ${sec(run.batchMs)}; duplicates ${run.duplicates}`,
  );
  return { variant, timeoutMs: run.timeoutMs, graceMs: run.graceMs };
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Refunds the sandbox's ledger holds more than once. */
async function ledgerDuplicates(sandboxUrl: string): Promise<number> {
  const ledger = (await sandboxAdmin(sandboxUrl, "GET", "/ledger")) as {
    refunds?: { refundRequestId: string }[];
  };
  const seen = new Map<string, number>();
  for (const x of ledger.refunds ?? [])
    seen.set(x.refundRequestId, (seen.get(x.refundRequestId) ?? 0) + 1);
  return [...seen.values()].filter((n) => n > 1).length;
}

export async function runUnknownOutcome(o: UnknownOutcomeOptions): Promise<UnknownOutcomeResult> {
  const base = await runBatch(o, makeRefunds(`UB${runs}`, o.refunds), false, false);
  o.log?.(`  fault-free batch of ${o.refunds}: ${sec(base.batchMs)}`);
  const notified = await runVariant(o, `UN${runs}`, true);
  const pollsOnly = await runVariant(o, `UF${runs}`, false);
  return {
    refunds: o.refunds,
    notified: notified.variant,
    pollsOnly: pollsOnly.variant,
    baselineBatchMs: base.batchMs,
    lookupGraceMs: pollsOnly.graceMs,
    timeoutMs: pollsOnly.timeoutMs,
  };
}
