/**
 * The reconciler ("janitor"): finds non-final refunds that nothing is driving any more —
 * a producer that died between storing the record and adding the job, a job BullMQ
 * failed after too many stalls, a poll chain broken by a crash — and re-drives them
 * with a new job generation. The submit processor's lease and look-up-first rules make a
 * re-drive safe even if the old job turns out to be alive.
 *
 * One reconciler runs at a time across all processes (the store's lock with expiry).
 */
import type { Job } from "bullmq";
import { submitJobId } from "../jobs/job-ids.js";
import { schedulePoll } from "../jobs/schedule-poll.js";
import { scheduleSubmit } from "../jobs/schedule-submit.js";
import type { RefundContext } from "./context.js";

const LIVE_JOB_STATES = new Set([
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
]);

export interface ReconcilerOptions {
  /** How often to look, ms. Default 30,000. */
  intervalMs?: number;
  /** Refunds examined per run. Default 200. */
  batchSize?: number;
  /** How far to push back a refund whose job is alive, ms. Default 5 minutes. */
  snoozeMs?: number;
}

export interface ReconcileReport {
  examined: number;
  redriven: string[];
}

export class Reconciler {
  readonly #ctx: RefundContext;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #snoozeMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(ctx: RefundContext, options: ReconcilerOptions = {}) {
    this.#ctx = ctx;
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#batchSize = options.batchSize ?? 200;
    this.#snoozeMs = options.snoozeMs ?? 300_000;
  }

  start(): void {
    if (this.#timer || this.#intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.runOnce()
        .catch((err: unknown) => this.#ctx.logger.error({ err }, "reconciler run failed"))
        .finally(() => (this.#running = undefined));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over overdue refunds. Returns what it did (for tests and logs). */
  async runOnce(): Promise<ReconcileReport> {
    const { store, logger } = this.#ctx;
    const lock = store.reconcilerLock;
    const owner = this.#ctx.workerId;
    if (!(await lock.acquire(owner, Math.max(this.#intervalMs * 2, 10_000)))) {
      return { examined: 0, redriven: [] };
    }
    const report: ReconcileReport = { examined: 0, redriven: [] };
    try {
      const now = this.#ctx.now();
      const ids = await store.overdue(now, this.#batchSize);
      for (const id of ids) {
        report.examined++;
        try {
          if (await this.#reconcileOne(id, now)) report.redriven.push(id);
        } catch (err) {
          // One bad refund must not block every refund behind it: look again later.
          logger.error({ err, refundRequestId: id }, "reconciler could not examine a refund");
          await store.snooze(id, now + this.#snoozeMs).catch(() => undefined);
        }
      }
      if (report.redriven.length > 0)
        logger.warn({ redriven: report.redriven }, "reconciler re-drove refunds");
    } finally {
      await lock.release(owner);
    }
    return report;
  }

  async #reconcileOne(id: string, now: number): Promise<boolean> {
    const { store, queues } = this.#ctx;
    const record = await store.get(id);
    if (!record || !["queued", "submitting", "accepted", "processing"].includes(record.state)) {
      await store.dropIfSettled(id);
      return false;
    }
    const submitting = record.state === "queued" || record.state === "submitting";
    const jobId = submitting
      ? submitJobId(id, record.submit.generation)
      : await store.getDriver(id);
    let job: Job | undefined;
    if (jobId)
      job = submitting ? await queues.submit.getJob(jobId) : await queues.poll.getJob(jobId);
    const jobState = job ? await job.getState() : "missing";
    if (LIVE_JOB_STATES.has(jobState)) {
      await store.snooze(id, now + this.#snoozeMs);
      return false;
    }
    // Not retried on a version race: the record moved, so something is driving it;
    // the next run looks again with fresh eyes.
    const t = await store.transition(id, { type: "redriven" }, record, { retryOnConflict: false });
    if (!t.applied) return false;
    this.#ctx.logger.warn(
      { refundRequestId: id, lostJob: jobId, jobState, state: t.record.state },
      "re-driving a refund with no live job",
    );
    if (submitting) await scheduleSubmit(this.#ctx, t.record);
    else await schedulePoll(this.#ctx, t.record, 1, 0);
    return true;
  }
}
