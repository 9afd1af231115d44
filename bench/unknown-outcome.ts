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
 */
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { createRefundProducer, producerOptionsFromConfig } from "../src/producer/enqueue-refund.js";
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

export interface UnknownOutcomeResult {
  refunds: number;
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
  /** Enqueue → every refund final, ms: with faults, and the fault-free baseline. */
  batchMs: number;
  baselineBatchMs: number;
  /** Refunds the sandbox's ledger shows more than once (must be 0). */
  duplicates: number;
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
): Promise<{ records: RefundRecord[]; batchMs: number; timeoutMs: number; graceMs: number }> {
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
  });
  const logger = createLogger({ level: "silent" });
  const workers = await startRefundWorkers({ config, logger });
  const producer = createRefundProducer(producerOptionsFromConfig(config));
  try {
    await workers.waitUntilReady();
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
      timeoutMs: config.gatepay.timeoutMs,
      graceMs: config.gatepay.lookupGraceMs,
    };
  } finally {
    await producer.close();
    await workers.close();
  }
}

export async function runUnknownOutcome(o: UnknownOutcomeOptions): Promise<UnknownOutcomeResult> {
  const base = await runBatch(o, makeRefunds(`UB${runs}`, o.refunds), false);
  o.log?.(`  fault-free batch of ${o.refunds}: ${(base.batchMs / 1000).toFixed(1)} s`);
  const refunds = makeRefunds(`UF${runs}`, o.refunds);
  const run = await runBatch(o, refunds, true);
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
  const ledger = (await sandboxAdmin(o.sandbox.url, "GET", "/ledger")) as {
    refunds?: { refundRequestId: string }[];
  };
  const seen = new Map<string, number>();
  for (const x of ledger.refunds ?? [])
    seen.set(x.refundRequestId, (seen.get(x.refundRequestId) ?? 0) + 1);
  const duplicates = [...seen.values()].filter((n) => n > 1).length;
  const result: UnknownOutcomeResult = {
    refunds: o.refunds,
    unknownRefunds: times.length,
    finalP50Ms: percentile(toFinal, 50),
    finalP99Ms: percentile(toFinal, 99),
    finalMaxMs: toFinal.length ? Math.max(...toFinal) : NaN,
    states,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: times.length ? Math.max(...times) : NaN,
    batchMs: run.batchMs,
    baselineBatchMs: base.batchMs,
    duplicates,
    lookupGraceMs: run.graceMs,
    timeoutMs: run.timeoutMs,
  };
  o.log?.(
    `  unknown outcome → final over ${times.length} refunds: p50 ${(result.finalP50Ms / 1000).toFixed(1)} s, ` +
      `p99 ${(result.finalP99Ms / 1000).toFixed(1)} s (→ accepted: p50 ${(result.p50Ms / 1000).toFixed(1)} s, ` +
      `p99 ${(result.p99Ms / 1000).toFixed(1)} s); batch ${(run.batchMs / 1000).toFixed(1)} s; duplicates ${duplicates}`,
  );
  return result;
}
