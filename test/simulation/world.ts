/**
 * The simulated world: one seeded scheduler over simulated time that runs workers (the
 * protocol's generators), a store, GatePay, BullMQ's job bookkeeping and the faults, and
 * checks the invariants after every step. Same config (seed included) → same run.
 *
 * BullMQ as modelled (its documented behaviour): a job run holds a lock for
 * `lockDurationMs`; a run that crashes or stalls longer is "stalled" and the job is run
 * again elsewhere (a new attemptsStarted, so a new lease owner) while a stalled run may
 * wake up and carry on — its result is dropped (lock lost), its side effects are not. A
 * job stalled more than `maxStalledCount` times fails. `moveToDelayed` + DelayedError
 * re-runs without using an attempt; a retryable error uses one and backs off with the
 * project's own submitBackoffDelayMs. Poll job ids are deterministic. The reconciler
 * (src/worker/reconciler.ts) re-drives a non-final refund with no live job.
 */
import type { RefundRequestFields } from "../../src/domain/refund-record.js";
import { submitBackoffDelayMs } from "../../src/worker/retry-policy.js";
import { Invariants, type Violation } from "./invariants.js";
import type { SimConfig } from "./params.js";
import {
  pollRun,
  submitRun,
  transition,
  webhookRun,
  type Box,
  type Gen,
  type ProtocolCtx,
  type SubmitResult,
} from "./protocol.js";
import { Rng } from "./rng.js";
import { SimGatePay } from "./sim-gatepay.js";
import { SimStore } from "./sim-store.js";

export interface FaultRecord {
  index: number;
  kind: string;
  atMs: number;
}

export interface SimResult {
  seed: number;
  violation: Violation | null;
  steps: number;
  simMs: number;
  faults: FaultRecord[];
  trace: string[];
  lostWrites: number;
}

interface Ev {
  at: number;
  tie: number;
  fn: () => void;
}

interface Actor {
  name: string;
  gen: Gen<unknown>;
  alive: boolean;
  onDone(value: unknown): void;
  onCrash(): void;
  onStall(ms: number): void;
}

interface Job {
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

const LIVE = new Set(["waiting", "active", "delayed"]);

export class World {
  readonly cfg: SimConfig;
  readonly rng: Rng;
  readonly store: SimStore;
  readonly gatepay: SimGatePay;
  readonly inv: Invariants;
  now = 0;
  steps = 0;
  failovers = 0;
  readonly faults: FaultRecord[] = [];
  readonly trace: string[] = [];
  #faultIndex = 0;
  #heap: Ev[] = [];
  #token = 0;
  #submitJobs = new Map<string, Job>();
  #pollJobs = new Map<string, Job>();
  #generation = new Map<string, number>();
  #settledAtMs: number | undefined;
  #done = false;

  constructor(cfg: SimConfig) {
    this.cfg = cfg;
    this.rng = new Rng(cfg.seed);
    this.store = new SimStore(() => this.now, { casBy: cfg.casBy });
    this.gatepay = new SimGatePay(
      {
        now: () => this.now,
        fault: (kind, p) => this.fault(kind, p),
        int: (lo, hi) => this.rng.int(lo, hi),
        chance: (p) => this.rng.chance(p),
        at: (atMs, _what, fn) => this.at(atMs, fn),
        webhook: (id, status, gateId) => this.#deliverWebhook(id, status, gateId, 0),
        note: (who, msg) => this.note(who, msg),
        onDuplicate: (id) => this.inv.doubleRefund(id),
      },
      cfg.params.gatepay,
    );
    this.inv = new Invariants(this);
  }

  note(who: string, msg: string): void {
    if (this.cfg.trace) this.trace.push(`${String(this.now).padStart(7)} ${who}: ${msg}`);
  }

  /** Whether a fault of `kind` fires now. Every opportunity that would fire gets an index. */
  fault(kind: string, p: number): boolean {
    if (this.now >= this.cfg.faultsUntilMs || !this.rng.chance(p)) return false;
    const index = this.#faultIndex++;
    if (this.cfg.allowedFaults && !this.cfg.allowedFaults.has(index)) return false;
    this.faults.push({ index, kind, atMs: this.now });
    this.note("fault", `#${index} ${kind}`);
    return true;
  }

  at(atMs: number, fn: () => void): void {
    const ev = { at: Math.max(atMs, this.now), tie: this.rng.float(), fn };
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Ev | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  run(): SimResult {
    this.#setUp();
    while (!this.#done && !this.inv.violation) {
      const ev = this.#pop();
      if (!ev || ev.at > this.cfg.endMs) break;
      this.now = ev.at;
      this.steps++;
      ev.fn();
      this.inv.checkStep();
    }
    if (!this.inv.violation) this.inv.checkEnd(this.#done);
    return {
      seed: this.cfg.seed,
      violation: this.inv.violation,
      steps: this.steps,
      simMs: this.now,
      faults: this.faults,
      trace: this.trace,
      lostWrites: this.store.lostWrites,
    };
  }

  #setUp(): void {
    const { refunds } = this.cfg;
    const orders = Math.max(1, Math.ceil(refunds / 2));
    for (let o = 0; o < orders; o++) this.gatepay.addOrder(`P${o}`, "10");
    for (let i = 0; i < refunds; i++) {
      const amount = this.rng.pick(["1.5", "2", "3.25", "4", "6.000001"]);
      const request: RefundRequestFields = {
        kind: "order",
        refundRequestId: `R${i}`,
        prepayId: `P${i % orders}`,
        refundAmount: amount,
        orderAmount: "10",
      };
      const { outcome } = this.store.create(request, this.now);
      this.note("producer", `enqueue R${i} ${amount} on P${i % orders}: ${outcome}`);
      if (outcome === "created") this.#newSubmitJob(`R${i}`);
    }
    // DESIGN.md "Durability": an enqueue is acknowledged only once it is durable.
    this.store.barrier();
    const tick = (every: () => number, fn: () => void) => {
      const loop = () => {
        fn();
        if (!this.#done) this.at(this.now + every(), loop);
      };
      this.at(every(), loop);
    };
    tick(
      () => this.rng.int(10, 400),
      () => this.store.replicate(this.rng.float()),
    );
    tick(
      () => this.rng.int(500, 3000),
      () => {
        if (!this.fault("failover", this.cfg.params.p.failover)) return;
        const skew = this.cfg.params.clockSkewMaxMs;
        const lost = this.store.failover(this.rng.int(-skew, skew));
        this.failovers++;
        this.note("redis", `failover: ${lost} acknowledged writes lost`);
      },
    );
    tick(
      () => this.cfg.params.reconcileEveryMs,
      () => this.#reconcile(),
    );
  }

  #ctx(who: string): ProtocolCtx {
    return {
      store: this.store,
      settings: this.cfg.params.settings,
      flags: this.cfg.flags,
      localNow: () => this.now,
      random: () => this.rng.float(),
      barrier: (epoch) => {
        if (this.fault("barrier-timeout", this.cfg.params.p.barrierTimeout)) return false;
        return this.store.barrier(epoch);
      },
      post: (req) => this.#box((fill) => this.gatepay.post(req, fill)),
      details: (id) => this.#box((fill) => this.gatepay.details(id, fill)),
      schedulePoll: (id, n, delayMs) => this.#schedulePoll(id, n, delayMs),
      note: (msg) => this.note(who, msg),
    };
  }

  #box<T>(start: (fill: (v: T) => void) => void): Box<T> {
    const box: Box<T> = { filled: false };
    start((v) => {
      box.value = v;
      box.filled = true;
      box.wake?.();
    });
    return box;
  }

  #spawn(actor: Omit<Actor, "alive">): void {
    const a: Actor = { ...actor, alive: true };
    this.at(this.now + this.rng.int(0, 2), () => this.#step(a));
  }

  #step(a: Actor): void {
    if (!a.alive) return;
    let r: IteratorResult<unknown, unknown>;
    try {
      r = a.gen.next();
    } catch (err) {
      a.alive = false;
      this.inv.fail("exception", `${a.name} threw: ${(err as Error).message}`);
      return;
    }
    if (r.done) {
      a.alive = false;
      a.onDone(r.value);
      return;
    }
    const y = r.value as { kind: string; label: string; box?: Box<unknown> };
    if (y.kind === "await" && y.box) {
      y.box.wake = () => this.at(this.now + this.rng.int(0, 1), () => this.#step(a));
      if (y.box.filled) y.box.wake();
      return;
    }
    if (this.fault("crash", this.cfg.params.p.crash)) {
      a.alive = false;
      this.note(a.name, `crashed before ${y.label}`);
      a.onCrash();
      return;
    }
    let delay = this.rng.int(0, 3);
    if (this.fault("stall", this.cfg.params.p.stall)) {
      const s = this.rng.int(100, this.cfg.params.stallMaxMs);
      this.note(a.name, `stalls ${s} ms before ${y.label}`);
      delay += s;
      a.onStall(s);
    }
    this.at(this.now + delay, () => this.#step(a));
  }

  #newSubmitJob(id: string): void {
    const gen = (this.#generation.get(id) ?? 0) + 1;
    this.#generation.set(id, gen);
    const job = this.#job(`submit-${id}-g${gen}`, "submit", id, 0);
    this.#submitJobs.set(id, job);
    this.at(this.now, () => this.#runJob(job));
  }

  #schedulePoll(id: string, n: number, delayMs: number): void {
    const key = `poll-${id}-g${this.#generation.get(id) ?? 0}-${n}`;
    if (this.#pollJobs.has(key)) return;
    const job = this.#job(key, "poll", id, n);
    job.state = "delayed";
    this.#pollJobs.set(key, job);
    this.at(this.now + delayMs, () => this.#runJob(job));
  }

  #job(key: string, kind: Job["kind"], refundId: string, pollNumber: number): Job {
    return { key, kind, refundId, pollNumber, attemptsMade: 0, attemptsStarted: 0, stalls: 0, token: 0, state: "waiting" };
  }

  #runJob(job: Job): void {
    if (job.state === "done" || job.state === "failed") return;
    job.state = "active";
    job.attemptsStarted++;
    const token = ++this.#token;
    job.token = token;
    const worker = this.rng.int(1, this.cfg.workers);
    const name = `w${worker}/${job.key}#${job.attemptsStarted}`;
    const ctx = this.#ctx(name);
    const max = this.cfg.params.submitMaxAttempts;
    const gen: Gen<unknown> =
      job.kind === "submit"
        ? submitRun(
            ctx,
            { leaseOwner: name, attemptNo: job.attemptsMade + 1, lastAttempt: job.attemptsMade + 1 >= max },
            job.refundId,
          )
        : pollRun(ctx, job.refundId, job.pollNumber);
    const stalledCheck = () =>
      this.at(this.now + this.cfg.params.lockDurationMs + this.rng.int(0, this.cfg.params.stalledCheckMs), () => {
        if (job.token !== token || job.state !== "active") return;
        job.stalls++;
        this.note("bullmq", `${job.key} stalled (${job.stalls})`);
        if (job.stalls > this.cfg.params.maxStalledCount) job.state = "failed";
        else this.#runJob(job);
      });
    this.#spawn({
      name,
      gen,
      onCrash: stalledCheck,
      onStall: (ms) => {
        if (ms > this.cfg.params.lockDurationMs) stalledCheck();
      },
      onDone: (value) => {
        if (job.token !== token || job.state !== "active") {
          this.note(name, "finished after losing its lock: result dropped");
          return;
        }
        if (job.kind === "poll") job.state = "done";
        else this.#submitDone(job, value as SubmitResult, name);
      },
    });
  }

  #submitDone(job: Job, r: SubmitResult, name: string): void {
    this.note(name, `run ends: ${r.kind}${"outcome" in r ? ` ${r.outcome}` : ""}`);
    switch (r.kind) {
      case "done":
        job.state = "done";
        return;
      case "unrecoverable":
        job.state = "failed";
        return;
      case "delay":
        job.state = "delayed";
        this.at(this.now + r.ms, () => this.#runJob(job));
        return;
      case "retry": {
        job.attemptsMade++;
        if (job.attemptsMade >= this.cfg.params.submitMaxAttempts) {
          job.state = "failed";
          return;
        }
        job.state = "delayed";
        const { backoffBaseMs: baseMs, backoffCapMs: capMs } = this.cfg.params;
        const delay = submitBackoffDelayMs(job.attemptsMade, { baseMs, capMs, retryAfterMs: r.retryAfterMs }, () =>
          this.rng.float(),
        );
        this.at(this.now + delay, () => this.#runJob(job));
      }
    }
  }

  #deliverWebhook(id: string, bizStatus: string, gateId: string, retry: number): void {
    const name = `webhook ${bizStatus} ${id}`;
    this.#spawn({
      name,
      gen: webhookRun(this.#ctx(name), id, bizStatus, gateId),
      onDone: () => undefined,
      // Not acknowledged: GatePay re-sends (gatepay-api.md §7.5: 15 s first).
      onCrash: () => {
        if (retry < 8) this.at(this.now + 15_000, () => this.#deliverWebhook(id, bizStatus, gateId, retry + 1));
      },
      onStall: () => undefined,
    });
  }

  #reconcile(): void {
    const faultsOver = this.now >= this.cfg.faultsUntilMs;
    let allTerminal = true;
    for (const id of this.store.ids()) {
      const state = this.store.get(id)?.rec.state;
      if (state !== "succeeded" && state !== "failed" && state !== "rejected") allTerminal = false;
      if (state === "queued" || state === "submitting") {
        const job = this.#submitJobs.get(id);
        if (!job || !LIVE.has(job.state)) {
          this.note("reconciler", `re-drives ${id} (${state})`);
          this.#newSubmitJob(id);
        }
      } else if (state === "accepted" || state === "processing") {
        const live = [...this.#pollJobs.values()].some((j) => j.refundId === id && LIVE.has(j.state));
        if (!live) {
          this.note("reconciler", `re-starts polling ${id}`);
          this.#generation.set(id, (this.#generation.get(id) ?? 0) + 1);
          this.#schedulePoll(id, 1, 0);
        }
      } else if ((state === "dead" || state === "stuck") && faultsOver) {
        this.#replay(id);
      }
    }
    if (!faultsOver) return;
    if (!allTerminal) {
      this.#settledAtMs = undefined;
      return;
    }
    // Settled: let stray messages (late answers, webhooks, polls) land, then stop.
    this.#settledAtMs ??= this.now;
    if (this.now - this.#settledAtMs > 60_000) this.#done = true;
  }

  /** An operator replays a dead or stuck refund once the faults are over. */
  #replay(id: string): void {
    const name = `operator replay ${id}`;
    const ctx = this.#ctx(name);
    const deadlineAtMs = this.now + this.cfg.params.settings.pollDeadlineMs;
    const gen = transition(ctx, id, { type: "replayed", deadlineAtMs }, null);
    this.#spawn({
      name,
      gen,
      onDone: (t) => {
        const state = (t as { applied: boolean; stored: { rec: { state: string } } | null }).stored?.rec.state;
        if (state === "queued") this.#newSubmitJob(id);
        if (state === "accepted") {
          this.#generation.set(id, (this.#generation.get(id) ?? 0) + 1);
          this.#schedulePoll(id, 1, 0);
        }
      },
      onCrash: () => undefined,
      onStall: () => undefined,
    });
  }
}

function before(a: Ev, b: Ev): boolean {
  return a.at < b.at || (a.at === b.at && a.tie < b.tie);
}
