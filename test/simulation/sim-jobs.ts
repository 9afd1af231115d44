/**
 * BullMQ's job bookkeeping as the simulation models it (its documented behaviour): a run
 * holds the job's lock for `lockDurationMs`; a run that crashes, or stalls longer, is
 * "stalled" and the job runs again elsewhere (a new attemptsStarted, so a new lease
 * owner) while the stalled run may wake up and carry on — its result is dropped (lock
 * lost), its side effects are not. A job stalled more than `maxStalledCount` times fails.
 * `moveToDelayed` + DelayedError re-runs without using an attempt; a retryable error uses
 * one and backs off with the project's own submitBackoffDelayMs. Poll job ids are
 * deterministic (`poll-<id>-g<generation>-<n>`): adding one twice adds nothing.
 */
import { submitBackoffDelayMs } from "../../src/worker/retry-policy.js";
import type { SimConfig } from "./params.js";
import { submitRun, type Gen, type ProtocolCtx, type SubmitResult } from "./protocol.js";
import { pollRun } from "./protocol-poll.js";
import type { Rng } from "./rng.js";

export interface Actor {
  name: string;
  gen: Gen<unknown>;
  alive: boolean;
  onDone(value: unknown): void;
  onCrash(): void;
  onStall(ms: number): void;
}

/** What the job model needs from the world. */
export interface JobHost {
  readonly cfg: SimConfig;
  readonly rng: Rng;
  readonly now: number;
  at(atMs: number, fn: () => void): void;
  note(who: string, msg: string): void;
  ctx(who: string): ProtocolCtx;
  spawn(actor: Omit<Actor, "alive">): void;
}

export interface Job {
  key: string;
  kind: "submit" | "poll";
  refundId: string;
  pollNumber: number;
  attemptsMade: number;
  attemptsStarted: number;
  stalls: number;
  token: number;
  state: "waiting" | "active" | "delayed" | "done" | "failed";
}

export const LIVE_JOB_STATES: ReadonlySet<Job["state"]> = new Set(["waiting", "active", "delayed"]);

export class SimJobs {
  readonly submitJobs = new Map<string, Job>();
  readonly pollJobs = new Map<string, Job>();
  /** The reconciler's job generation per refund. */
  readonly generation = new Map<string, number>();
  readonly #w: JobHost;
  #tokenSeq = 0;

  constructor(host: JobHost) {
    this.#w = host;
  }

  /** A refund with a live poll job. */
  isPolled(id: string): boolean {
    for (const j of this.pollJobs.values())
      if (j.refundId === id && LIVE_JOB_STATES.has(j.state)) return true;
    return false;
  }

  /** Starts a new polling generation: poll 1 now. */
  restartPolling(id: string): void {
    this.generation.set(id, (this.generation.get(id) ?? 0) + 1);
    this.schedulePoll(id, 1, 0);
  }

  newSubmitJob(id: string): void {
    const gen = (this.generation.get(id) ?? 0) + 1;
    this.generation.set(id, gen);
    const job = this.#job(`submit-${id}-g${gen}`, "submit", id, 0);
    this.submitJobs.set(id, job);
    this.#w.at(this.#w.now, () => this.#runJob(job));
  }

  schedulePoll(id: string, n: number, delayMs: number): void {
    const key = `poll-${id}-g${this.generation.get(id) ?? 0}-${n}`;
    if (this.pollJobs.has(key)) return;
    const job = this.#job(key, "poll", id, n);
    job.state = "delayed";
    this.pollJobs.set(key, job);
    this.#w.at(this.#w.now + delayMs, () => this.#runJob(job));
  }

  #job(key: string, kind: Job["kind"], refundId: string, pollNumber: number): Job {
    return {
      key,
      kind,
      refundId,
      pollNumber,
      attemptsMade: 0,
      attemptsStarted: 0,
      stalls: 0,
      token: 0,
      state: "waiting",
    };
  }

  #runJob(job: Job): void {
    if (job.state === "done" || job.state === "failed") return;
    job.state = "active";
    job.attemptsStarted++;
    const token = ++this.#tokenSeq;
    job.token = token;
    const worker = this.#w.rng.int(1, this.#w.cfg.workers);
    const name = `w${worker}/${job.key}#${job.attemptsStarted}`;
    const ctx = this.#w.ctx(name);
    const max = this.#w.cfg.params.submitMaxAttempts;
    const gen: Gen<unknown> =
      job.kind === "submit"
        ? submitRun(
            ctx,
            {
              leaseOwner: name,
              attemptNo: job.attemptsMade + 1,
              lastAttempt: job.attemptsMade + 1 >= max,
            },
            job.refundId,
          )
        : pollRun(ctx, job.refundId, job.pollNumber);
    const stalledCheck = () =>
      this.#w.at(
        this.#w.now +
          this.#w.cfg.params.lockDurationMs +
          this.#w.rng.int(0, this.#w.cfg.params.stalledCheckMs),
        () => {
          if (job.token !== token || job.state !== "active") return;
          job.stalls++;
          this.#w.note("bullmq", `${job.key} stalled (${job.stalls})`);
          if (job.stalls > this.#w.cfg.params.maxStalledCount) job.state = "failed";
          else this.#runJob(job);
        },
      );
    this.#w.spawn({
      name,
      gen,
      onCrash: stalledCheck,
      onStall: (ms) => {
        if (ms > this.#w.cfg.params.lockDurationMs) stalledCheck();
      },
      onDone: (value) => {
        if (job.token !== token || job.state !== "active") {
          this.#w.note(name, "finished after losing its lock: result dropped");
          return;
        }
        if (job.kind === "poll") job.state = "done";
        else this.#submitDone(job, value as SubmitResult, name);
      },
    });
  }

  #submitDone(job: Job, r: SubmitResult, name: string): void {
    this.#w.note(name, `run ends: ${r.kind}${"outcome" in r ? ` ${r.outcome}` : ""}`);
    switch (r.kind) {
      case "done":
        job.state = "done";
        return;
      case "unrecoverable":
        job.state = "failed";
        return;
      case "delay":
        job.state = "delayed";
        this.#w.at(this.#w.now + r.ms, () => this.#runJob(job));
        return;
      case "retry": {
        job.attemptsMade++;
        if (job.attemptsMade >= this.#w.cfg.params.submitMaxAttempts) {
          job.state = "failed";
          return;
        }
        job.state = "delayed";
        const { backoffBaseMs: baseMs, backoffCapMs: capMs } = this.#w.cfg.params;
        const delay = submitBackoffDelayMs(
          job.attemptsMade,
          { baseMs, capMs, retryAfterMs: r.retryAfterMs },
          () => this.#w.rng.float(),
        );
        this.#w.at(this.#w.now + delay, () => this.#runJob(job));
      }
    }
  }
}
