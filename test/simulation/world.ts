/**
 * The simulated world: one seeded scheduler over simulated time that runs workers (the
 * protocol's generators), a store, GatePay, BullMQ's job bookkeeping and the faults, and
 * checks the invariants after every step. Same config (seed included) → same run.
 *
 * BullMQ's jobs are modelled in sim-jobs.ts. The reconciler (src/worker/reconciler.ts)
 * re-drives a non-final refund with no live job; once faults stop, an operator replays
 * dead and stuck refunds, so every refund must end terminal. *
 * Not modelled (each a simplification to keep in mind when reading a clean run):
 * - a stall between the lease fence check and the POST leaving (one step here; in a real
 *   process a pause there is covered only by the lease margin);
 * - BullMQ's own keys rolling back at a failover (the reconciler stands in: it re-drives
 *   any refund with no live job);
 * - workers' local clocks drifting (local time is real time; only Redis masters differ);
 * - the GatePay rate limiter, webhook signatures, convert refunds, institution mode.
 */
import type { RefundRequestFields } from "../../src/domain/refund-record.js";
import { EventQueue } from "./event-queue.js";
import { Invariants, type Violation } from "./invariants.js";
import type { SimConfig } from "./params.js";
import { transition, type Box, type ProtocolCtx } from "./protocol.js";
import { webhookRun } from "./protocol-poll.js";
import { Rng } from "./rng.js";
import { SimGatePay } from "./sim-gatepay.js";
import { LIVE_JOB_STATES, SimJobs, type Actor } from "./sim-jobs.js";
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
  readonly #agenda = new EventQueue();
  readonly jobs: SimJobs;
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
    this.jobs = new SimJobs(this);
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
    this.#agenda.push(Math.max(atMs, this.now), this.rng.float(), fn);
  }

  run(): SimResult {
    this.#setUp();
    while (!this.#done && !this.inv.violation) {
      const ev = this.#agenda.pop();
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
      if (outcome === "created") this.jobs.newSubmitJob(`R${i}`);
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

  ctx(who: string): ProtocolCtx {
    return {
      store: this.store,
      settings: this.cfg.params.settings,
      flags: this.cfg.flags,
      localNow: () => this.now,
      random: () => this.rng.float(),
      barrier: (epoch) => {
        if (this.fault("barrier-timeout", this.cfg.params.p.barrierTimeout)) return false;
        return this.store.barrier(this.cfg.barrierChecksMaster ? epoch : this.store.epoch);
      },
      post: (req) => this.#box((fill) => this.gatepay.post(req, fill)),
      details: (id) => this.#box((fill) => this.gatepay.details(id, fill)),
      schedulePoll: (id, n, delayMs) => this.jobs.schedulePoll(id, n, delayMs),
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

  spawn(actor: Omit<Actor, "alive">): void {
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

  #deliverWebhook(id: string, bizStatus: string, gateId: string, retry: number): void {
    const name = `webhook ${bizStatus} ${id}`;
    this.spawn({
      name,
      gen: webhookRun(this.ctx(name), id, bizStatus, gateId),
      onDone: () => undefined,
      // Not acknowledged: GatePay re-sends (gatepay-api.md §7.5: 15 s first).
      onCrash: () => {
        if (retry < 8)
          this.at(this.now + 15_000, () => this.#deliverWebhook(id, bizStatus, gateId, retry + 1));
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
        const job = this.jobs.submitJobs.get(id);
        if (!job || !LIVE_JOB_STATES.has(job.state)) {
          this.note("reconciler", `re-drives ${id} (${state})`);
          this.jobs.newSubmitJob(id);
        }
      } else if (state === "accepted" || state === "processing") {
        if (!this.jobs.isPolled(id)) {
          this.note("reconciler", `re-starts polling ${id}`);
          this.jobs.restartPolling(id);
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
    const ctx = this.ctx(name);
    const deadlineAtMs = this.now + this.cfg.params.settings.pollDeadlineMs;
    const gen = transition(ctx, id, { type: "replayed", deadlineAtMs }, null);
    this.spawn({
      name,
      gen,
      onDone: (t) => {
        const state = (t as { applied: boolean; stored: { rec: { state: string } } | null }).stored
          ?.rec.state;
        if (state === "queued") this.jobs.newSubmitJob(id);
        if (state === "accepted") this.jobs.restartPolling(id);
      },
      onCrash: () => undefined,
      onStall: () => undefined,
    });
  }
}
