/**
 * Prometheus metrics of one process (prom-client), served by `GET /metrics`.
 *
 * {@link createMetrics} builds a fresh registry and metric set every call, so tests and
 * several servers in one process never share global state (prom-client's default
 * registry is a process-wide singleton).
 *
 * Counters count what *this process* did: many worker processes share one Redis, and
 * Prometheus sums their series. A refund's final state is therefore counted by the
 * process that stored it (the poll, submit or webhook path that won the compare-and-set),
 * recognised by the source of the answer it stored, so a poll and a webhook racing for
 * one refund count it once. Queue depths are read from Redis on each scrape, so every
 * process reports the same shared queues: aggregate them with `max`, not `sum`.
 *
 * Names: every metric of the service is `gatepay_refunds_*`, with its unit at the end
 * (`_seconds`, `_total` for counters); prom-client's process metrics keep their standard
 * `process_*` / `nodejs_*` names. Every series carries the label `prefix` (the queue
 * prefix) when one is given, so deployments sharing a Prometheus stay apart.
 */
import type { Queue, Worker } from "bullmq";
import type { AttentionCode } from "../domain/attention.js";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RefundRecord } from "../domain/refund-record.js";
import { isFinalState } from "../domain/refund-state.js";
import type { GatePayAttemptEvent } from "../gatepay/client.js";
import { withTimeout } from "../with-timeout.js";

/** What became of one webhook delivery (label `outcome` of `gatepay_refunds_webhooks_total`). */
export type WebhookOutcome =
  /** Verified, and it changed the refund (stored before the ack). */
  | "applied"
  /** Verified and acknowledged; the refund already knew as much (a replay, a late PROCESS). */
  | "unchanged"
  /** Verified, but no refund has that refundRequestId: acknowledged and logged. */
  | "unknown_refund"
  /** Signed more than 48 h ago (past GatePay's retry window): refused, 401 WEBHOOK_EXPIRED. */
  | "expired"
  /** Verified, but its prepayId is not the refund's: acknowledged, not applied, logged. */
  | "mismatch"
  | "bad_signature"
  | "missing_signature"
  | "malformed"
  /** GATEPAY_SECRET_KEY is unset: nothing can be verified. */
  | "not_configured"
  /** Storing failed (Redis down or slow): answered 500 so GatePay retries. */
  | "error";

/** The metric names, for dashboards and tests. */
export const METRIC_NAMES = {
  refundsFinal: "gatepay_refunds_final_total",
  timeToFinal: "gatepay_refunds_time_to_final_seconds",
  submitAttempts: "gatepay_refunds_submit_attempts_total",
  polls: "gatepay_refunds_polls_total",
  gatepayLatency: "gatepay_refunds_gatepay_request_duration_seconds",
  queueJobs: "gatepay_refunds_queue_jobs",
  webhooks: "gatepay_refunds_webhooks_total",
  webhookStale: "gatepay_refunds_webhook_stale_timestamps_total",
  httpRequestDuration: "gatepay_refunds_http_request_duration_seconds",
  rateLimiterWait: "gatepay_refunds_rate_limiter_wait_seconds",
  attention: "gatepay_refunds_attention_total",
  retryAfterCapped: "gatepay_refunds_retry_after_capped_total",
} as const;

/** Job states reported by the `gatepay_refunds_queue_jobs` gauge. */
export const QUEUE_JOB_STATES = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
  "failed",
  "completed",
] as const;

/** Options of {@link createMetrics}. */
export interface CreateMetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event loop lag, GC); default true. */
  defaultMetrics?: boolean;
  /** Longest a scrape waits for the queue counts, ms; default 2,000 (then they are left out). */
  queueCountTimeoutMs?: number;
  /**
   * The deployment's queue prefix (`Config.queuePrefix`, e.g. `{gatepay}`): the label
   * `prefix` on every series. Default: no such label.
   */
  queuePrefix?: string;
}

/** One answered HTTP request (see {@link RefundMetrics.observeHttpRequest}). */
export interface HttpRequestObservation {
  method: string;
  /** The route pattern (`/refunds/:id`), never the raw URL: bounded, and free of ids and tokens. */
  route: string;
  statusCode: number;
  durationSeconds: number;
}

/** What waits for the shared GatePay request budget (src/worker/rate-limiter.ts). */
export interface AcquiringLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

/** The workers whose outcomes are counted (see {@link RefundMetrics.attachWorkers}). */
export interface MetricsWorkers {
  submitWorker: Worker;
  pollWorker: Worker;
  store: { get(refundRequestId: string): Promise<RefundRecord | null> };
}

/** A process's registry and the hooks that feed it. */
export interface RefundMetrics {
  readonly registry: Registry;
  /** `Content-Type` of {@link RefundMetrics.text}. */
  readonly contentType: string;
  /**
   * Pass as `GatePayClientOptions.observer`: every HTTP attempt to GatePay feeds the
   * latency histogram (labels `endpoint` = operation, `outcome`).
   */
  readonly gatepayObserver: (event: GatePayAttemptEvent) => void;
  /** Counts one submit job run by outcome (`accepted`, `retry`, `dead`, `error`…). */
  observeSubmit(outcome: string): void;
  /** Counts one poll job run by outcome (`final`, `in-progress`, `skipped`…). */
  observePoll(outcome: string): void;
  /** Counts one webhook delivery by outcome. */
  observeWebhook(outcome: WebhookOutcome): void;
  /** Counts one webhook whose signed timestamp is older than GatePay's retry window. */
  observeStaleWebhook(): void;
  /** Counts a server `Retry-After` longer than POLL_MAX_DELAY_MS (capped to it). */
  observeRetryAfterCapped(): void;
  /** Counts a contradiction GatePay made with a terminal record (the attention index). */
  observeAttention(code: AttentionCode): void;
  /** Records one answered HTTP request of the service's own server (an `onResponse` hook). */
  observeHttpRequest(request: HttpRequestObservation): void;
  /** Records how long one GatePay request waited for the `GATEPAY_MAX_RPS` budget, seconds. */
  observeRateLimiterWait(seconds: number): void;
  /**
   * `limiter` with every `acquire` timed into the rate-limiter wait histogram (failed or
   * aborted waits are not recorded).
   */
  timeRateLimiter(limiter: AcquiringLimiter): AcquiringLimiter;
  /**
   * Counts a refund this process moved to a final state, and how long it took from
   * creation (history times, seconds). Records in other states are ignored.
   */
  observeFinal(record: RefundRecord): void;
  /** Adds queues whose job counts each scrape reports (a queue added twice counts once). */
  watchQueues(queues: readonly Queue[]): void;
  /**
   * Listens to the workers' `completed` / `failed` events: submit and poll outcomes, and
   * the final states they stored. Returns a function that removes the listeners.
   */
  attachWorkers(workers: MetricsWorkers): () => void;
  /** The Prometheus text exposition of every metric. */
  text(): Promise<string>;
}

// Seconds. GatePay answers in milliseconds to seconds; the client's timeout is 10 s.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Seconds. A wait is a fraction of 1 / GATEPAY_MAX_RPS unless many workers share a small cap.
const RATE_LIMIT_WAIT_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
// Seconds. Refunds settle in seconds to hours; the poll deadline defaults to 24 h.
const TIME_TO_FINAL_BUCKETS = [
  1,
  5,
  15,
  30,
  60,
  300,
  900,
  1800,
  3600,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  86_400,
  2 * 86_400,
];

/** Builds a new registry with every metric of the service. */
export function createMetrics(options: CreateMetricsOptions = {}): RefundMetrics {
  const registry = new Registry();
  if (options.queuePrefix !== undefined) registry.setDefaultLabels({ prefix: options.queuePrefix });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const queueCountTimeoutMs = options.queueCountTimeoutMs ?? 2_000;

  const refundsFinal = new Counter({
    name: METRIC_NAMES.refundsFinal,
    help: "Refunds this process moved to a final state, by state",
    labelNames: ["state"] as const,
    registers: [registry],
  });
  const timeToFinal = new Histogram({
    name: METRIC_NAMES.timeToFinal,
    help: "Time from a refund's creation to its final state, seconds, by state",
    labelNames: ["state"] as const,
    buckets: TIME_TO_FINAL_BUCKETS,
    registers: [registry],
  });
  const submitAttempts = new Counter({
    name: METRIC_NAMES.submitAttempts,
    help: "Submit job runs, by outcome (retry = a retryable failure BullMQ will run again)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const polls = new Counter({
    name: METRIC_NAMES.polls,
    help: "Poll job runs, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: METRIC_NAMES.gatepayLatency,
    help: "GatePay HTTP attempts: wall time in seconds, by endpoint (operation) and outcome",
    labelNames: ["endpoint", "method", "outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const webhooks = new Counter({
    name: METRIC_NAMES.webhooks,
    help: "GatePay PAY_REFUND webhook deliveries, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const webhookStale = new Counter({
    name: METRIC_NAMES.webhookStale,
    help: "Verified webhooks whose signed timestamp is more than 24 h old (accepted anyway)",
    registers: [registry],
  });
  const attention = new Counter({
    name: METRIC_NAMES.attention,
    help: "GatePay reports contradicting a terminal refund record (money may have moved), by code",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const retryAfterCapped = new Counter({
    name: METRIC_NAMES.retryAfterCapped,
    help: "Retry-After values longer than POLL_MAX_DELAY_MS, capped to it",
    registers: [registry],
  });
  const httpRequestDuration = new Histogram({
    name: METRIC_NAMES.httpRequestDuration,
    help: "HTTP requests to this service: time to answer in seconds, by method, route pattern and status code",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const rateLimiterWait = new Histogram({
    name: METRIC_NAMES.rateLimiterWait,
    help: "Time a GatePay request waited for the shared GATEPAY_MAX_RPS budget, seconds",
    buckets: RATE_LIMIT_WAIT_BUCKETS,
    registers: [registry],
  });

  const watched = new Map<string, Queue>();
  new Gauge({
    name: METRIC_NAMES.queueJobs,
    help: "Jobs in each BullMQ queue by state, read from Redis at scrape time",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...watched.values()].map(async (queue) => {
          const counts = await withTimeout(
            queue.getJobCounts(...QUEUE_JOB_STATES),
            queueCountTimeoutMs,
            `no answer within ${queueCountTimeoutMs} ms`,
          ).catch(() => undefined);
          // Unreachable Redis: leave the series out rather than report stale depths.
          if (!counts) return;
          for (const state of QUEUE_JOB_STATES) {
            // inc after reset: a queue name of several shards counts all of them.
            this.inc({ queue: queue.name, state }, counts[state] ?? 0);
          }
        }),
      );
    },
  });

  const observeFinal = (record: RefundRecord): void => {
    if (!isFinalState(record.state)) return;
    refundsFinal.inc({ state: record.state });
    const finalAt = Date.parse(record.history.at(-1)?.at ?? record.updatedAt);
    const createdAt = Date.parse(record.createdAt);
    if (Number.isFinite(finalAt) && Number.isFinite(createdAt)) {
      timeToFinal.observe({ state: record.state }, Math.max(0, (finalAt - createdAt) / 1000));
    }
  };

  return {
    registry,
    contentType: registry.contentType,
    gatepayObserver(event) {
      latency.observe(
        { endpoint: event.operation, method: event.method, outcome: event.outcome },
        event.durationMs / 1000,
      );
    },
    observeSubmit: (outcome) => submitAttempts.inc({ outcome }),
    observePoll: (outcome) => polls.inc({ outcome }),
    observeWebhook: (outcome) => webhooks.inc({ outcome }),
    observeStaleWebhook: () => webhookStale.inc(),
    observeAttention: (code) => attention.inc({ code }),
    observeRetryAfterCapped: () => retryAfterCapped.inc(),
    observeHttpRequest({ method, route, statusCode, durationSeconds }) {
      httpRequestDuration.observe(
        { method, route, status_code: String(statusCode) },
        durationSeconds,
      );
    },
    observeRateLimiterWait: (seconds) => rateLimiterWait.observe(seconds),
    timeRateLimiter(limiter) {
      return {
        async acquire(signal) {
          const started = performance.now();
          await limiter.acquire(signal);
          rateLimiterWait.observe((performance.now() - started) / 1000);
        },
      };
    },
    observeFinal,
    watchQueues(queues) {
      for (const q of queues) watched.set(`${q.opts.prefix ?? ""}|${q.name}`, q);
    },
    attachWorkers({ submitWorker, pollWorker, store }) {
      // Outcomes that may have stored a final state, and the answer sources that show this
      // job (not a webhook that raced it) stored it.
      const countFinal = (id: string, sources: readonly string[]) => {
        store.get(id).then(
          (record) => {
            if (!record || !isFinalState(record.state)) return;
            const source = record.gatepay?.source;
            if (source === undefined || sources.includes(source)) observeFinal(record);
          },
          // A metric is best effort: a failed read must not disturb the worker.
          () => undefined,
        );
      };
      const onSubmitCompleted = (job: { data: unknown }, result: unknown) => {
        const outcome = outcomeOf(result);
        submitAttempts.inc({ outcome });
        const id = refundIdOf(job.data);
        if (!id) return;
        if (outcome === "rejected" || outcome === "dead")
          countFinal(id, ["create", "details", "query-v1"]);
        if (outcome === "finalized" || outcome === "found") countFinal(id, ["details", "query-v1"]);
      };
      const onPollCompleted = (job: { data: unknown }, result: unknown) => {
        const outcome = outcomeOf(result);
        polls.inc({ outcome });
        const id = refundIdOf(job.data);
        if (!id) return;
        if (outcome === "final") countFinal(id, ["details"]);
        if (outcome === "stuck") countFinal(id, ["create", "details", "query-v1", "webhook"]);
      };
      const onSubmitFailed = (_job: unknown, err: Error) => {
        // SubmitRetryError: a retryable failure, BullMQ runs the job again after a backoff.
        submitAttempts.inc({ outcome: err.name === "SubmitRetryError" ? "retry" : "error" });
      };
      const onPollFailed = () => polls.inc({ outcome: "error" });
      submitWorker.on("completed", onSubmitCompleted);
      submitWorker.on("failed", onSubmitFailed);
      pollWorker.on("completed", onPollCompleted);
      pollWorker.on("failed", onPollFailed);
      return () => {
        submitWorker.off("completed", onSubmitCompleted);
        submitWorker.off("failed", onSubmitFailed);
        pollWorker.off("completed", onPollCompleted);
        pollWorker.off("failed", onPollFailed);
      };
    },
    text: () => registry.metrics(),
  };
}

function outcomeOf(result: unknown): string {
  const outcome = (result as { outcome?: unknown } | null | undefined)?.outcome;
  return typeof outcome === "string" ? outcome : "unknown";
}

function refundIdOf(data: unknown): string | undefined {
  const id = (data as { refundRequestId?: unknown } | null | undefined)?.refundRequestId;
  return typeof id === "string" ? id : undefined;
}
