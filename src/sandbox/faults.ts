/**
 * Fault injection for the GatePay sandbox: per-operation ratios drawn from a seeded
 * generator (repeatable runs), plus a scripted queue per operation that takes precedence
 * ("the next 2 orderRefund calls get http500, then normal").
 */
import { GATEPAY_OPERATIONS, type GatePayOperation } from "../gatepay/endpoints.js";
import { deriveStream, type RandomSource } from "./random.js";

/** One GatePay operation the sandbox serves; merchant and institution paths share one. */
export type SandboxOperation = GatePayOperation;

/** The operations the sandbox serves: every one in the client's ENDPOINTS table. */
export const SANDBOX_OPERATIONS: readonly SandboxOperation[] = GATEPAY_OPERATIONS;

/**
 * What happens to one request that passed authentication:
 * - `none`: answered normally;
 * - `http500`: HTTP 500 with code 300000, nothing recorded;
 * - `http429`: HTTP 429 with `Retry-After: 1`, nothing recorded;
 * - `dropBefore`: the socket is destroyed before anything is recorded;
 * - `dropAfter`: the request is processed (a refund is recorded), then the socket is
 *   destroyed without an answer — the client cannot know the outcome;
 * - `slowAfter`: processed, then answered after `slowAfterMs` (longer than the client's
 *   timeout, so the client gives up on a refund that exists).
 */
export type FaultAction = "none" | "http500" | "http429" | "dropBefore" | "dropAfter" | "slowAfter";

/** Every {@link FaultAction}, for validation. */
export const FAULT_ACTIONS: readonly FaultAction[] = [
  "none",
  "http500",
  "http429",
  "dropBefore",
  "dropAfter",
  "slowAfter",
];

/**
 * Faults for one operation (or the default for all). Ratios are probabilities in
 * `[0, 1]` and their sum must not exceed 1: each request draws once and falls in at most
 * one band, in the order http500, http429, dropBefore, dropAfter, slowAfter.
 */
export interface FaultSpec {
  /** Added before answering every request, ms. Default 0. */
  latencyMs?: number;
  /** Extra random latency, uniform in `[0, latencyJitterMs)`, ms. Default 0. */
  latencyJitterMs?: number;
  /** Ratio answered HTTP 500 / code 300000 with nothing recorded. Default 0. */
  http500?: number;
  /** Ratio answered HTTP 429 with `Retry-After: 1`, nothing recorded. Default 0. */
  http429?: number;
  /** Ratio whose connection is dropped before anything is recorded. Default 0. */
  dropBefore?: number;
  /** Ratio processed (refund recorded) and then dropped without an answer. Default 0. */
  dropAfter?: number;
  /** Ratio processed and then answered after {@link FaultSpec.slowAfterMs}. Default 0. */
  slowAfter?: number;
  /** Delay of a `slowAfter` answer, ms. Default 30,000 (beyond any sane client timeout). */
  slowAfterMs?: number;
  /**
   * Details and v1 query answer 400304 for a refund younger than this, ms: GatePay's
   * read side lagging behind creation. Default 0. Only read for refundDetails and
   * refundQueryV1 (or the default spec).
   */
  detailsLagMs?: number;
}

/** Faults for all operations: `default` applies where an operation's own spec is silent. */
export type FaultConfig = { default?: FaultSpec } & { [K in SandboxOperation]?: FaultSpec };

/** The sandbox's decision for one request. */
export interface FaultDecision {
  action: FaultAction;
  /** Latency to add before acting, ms. */
  latencyMs: number;
  /** Delay of a `slowAfter` answer, ms. */
  slowAfterMs: number;
  /** True when the action came from a script rather than a ratio. */
  scripted: boolean;
}

/** Default delay of a `slowAfter` answer, ms. */
export const DEFAULT_SLOW_AFTER_MS = 30_000;

const RATIO_KEYS = ["http500", "http429", "dropBefore", "dropAfter", "slowAfter"] as const;
const MS_KEYS = ["latencyMs", "latencyJitterMs", "slowAfterMs", "detailsLagMs"] as const;
const SPEC_KEYS = new Set<string>([...RATIO_KEYS, ...MS_KEYS]);
const CONFIG_KEYS = new Set<string>(["default", ...SANDBOX_OPERATIONS]);

/** True when `op` names a {@link SandboxOperation}. */
export function isSandboxOperation(op: unknown): op is SandboxOperation {
  return typeof op === "string" && (SANDBOX_OPERATIONS as readonly string[]).includes(op);
}

/**
 * Checks a fault configuration (from code or from `POST /__sandbox/faults`) and returns
 * a clean copy.
 *
 * @throws RangeError naming the offending field.
 */
export function validateFaultConfig(input: unknown): FaultConfig {
  if (!isPlainObject(input)) throw new RangeError("faults must be an object");
  const out: FaultConfig = {};
  for (const [key, spec] of Object.entries(input)) {
    if (!CONFIG_KEYS.has(key)) {
      throw new RangeError(
        `faults.${key}: unknown operation (expected default, ${SANDBOX_OPERATIONS.join(", ")})`,
      );
    }
    if (spec === undefined) continue;
    out[key as keyof FaultConfig] = validateFaultSpec(spec, `faults.${key}`);
  }
  return out;
}

function validateFaultSpec(input: unknown, where: string): FaultSpec {
  if (!isPlainObject(input)) throw new RangeError(`${where} must be an object`);
  const out: FaultSpec = {};
  let sum = 0;
  for (const [key, value] of Object.entries(input)) {
    if (!SPEC_KEYS.has(key)) throw new RangeError(`${where}.${key}: unknown fault`);
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${where}.${key} must be a finite number ≥ 0`);
    }
    if ((RATIO_KEYS as readonly string[]).includes(key)) {
      if (value > 1) throw new RangeError(`${where}.${key} is a ratio: must be from 0 to 1`);
      sum += value;
    }
    out[key as keyof FaultSpec] = value;
  }
  if (sum > 1 + 1e-9) {
    throw new RangeError(`${where}: fault ratios add up to ${sum}, more than 1`);
  }
  return out;
}

/**
 * Decides, per request, which fault (if any) the sandbox injects. Each operation draws
 * from its own seeded stream, so the same seed and the same sequence of calls to one
 * operation give the same faults, whatever happens on other operations.
 */
export class FaultInjector {
  private config: FaultConfig = {};
  private readonly scripts = new Map<SandboxOperation, FaultAction[]>();
  private streams = new Map<SandboxOperation, { fault: RandomSource; jitter: RandomSource }>();

  /**
   * @param seed the run's seed (see {@link deriveStream}).
   * @param config initial faults; none by default.
   * @throws RangeError when `config` is invalid.
   */
  constructor(
    private readonly seed: number,
    config: FaultConfig = {},
  ) {
    this.set(config);
  }

  /** Replaces the whole fault configuration. @throws RangeError when invalid. */
  set(config: FaultConfig): void {
    this.config = validateFaultConfig(config);
  }

  /** The current configuration (a copy). */
  get(): FaultConfig {
    return structuredClone(this.config);
  }

  /**
   * Queues actions for the next calls of `operation`; they take precedence over ratios
   * and are consumed one per authenticated request. Appends to any queued script.
   *
   * @throws RangeError on an unknown operation or action.
   */
  script(operation: SandboxOperation, actions: readonly FaultAction[]): void {
    if (!isSandboxOperation(operation)) {
      throw new RangeError(`unknown operation ${JSON.stringify(operation)}`);
    }
    for (const a of actions) {
      if (!FAULT_ACTIONS.includes(a))
        throw new RangeError(`unknown fault action ${JSON.stringify(a)}`);
    }
    const queue = this.scripts.get(operation) ?? [];
    queue.push(...actions);
    this.scripts.set(operation, queue);
  }

  /** The actions still queued for each operation (copies). */
  scripted(): Partial<Record<SandboxOperation, FaultAction[]>> {
    const out: Partial<Record<SandboxOperation, FaultAction[]>> = {};
    for (const [op, queue] of this.scripts) if (queue.length > 0) out[op] = [...queue];
    return out;
  }

  /** Removes every fault and every script. The random streams continue. */
  clear(): void {
    this.config = {};
    this.scripts.clear();
  }

  /** Restarts every random stream from the seed, so the next run repeats the first. */
  reseed(): void {
    this.streams = new Map();
  }

  /** The decision for the next authenticated request to `operation`. */
  decide(operation: SandboxOperation): FaultDecision {
    const spec = this.effective(operation);
    const latency = this.latency(operation, spec);
    const slowAfterMs = spec.slowAfterMs ?? DEFAULT_SLOW_AFTER_MS;
    const queued = this.scripts.get(operation)?.shift();
    if (queued !== undefined) {
      return { action: queued, latencyMs: latency, slowAfterMs, scripted: true };
    }
    const action = this.draw(operation, spec);
    return { action, latencyMs: latency, slowAfterMs, scripted: false };
  }

  /** How long a new refund stays invisible to `operation`, ms (0 = at once). */
  detailsLagMs(operation: SandboxOperation): number {
    return this.effective(operation).detailsLagMs ?? 0;
  }

  private effective(operation: SandboxOperation): FaultSpec {
    const own = this.config[operation];
    const base = this.config.default;
    if (!own) return base ?? {};
    if (!base) return own;
    return { ...base, ...own };
  }

  private latency(operation: SandboxOperation, spec: FaultSpec): number {
    const base = spec.latencyMs ?? 0;
    const jitter = spec.latencyJitterMs ?? 0;
    if (jitter <= 0) return base;
    return base + Math.floor(this.stream(operation).jitter() * jitter);
  }

  private draw(operation: SandboxOperation, spec: FaultSpec): FaultAction {
    let total = 0;
    for (const key of RATIO_KEYS) total += spec[key] ?? 0;
    // Draw only when some ratio is set: a sandbox without ratio faults consumes nothing,
    // so turning faults on later starts from the seed's first number.
    if (total === 0) return "none";
    const r = this.stream(operation).fault();
    let band = 0;
    for (const key of RATIO_KEYS) {
      band += spec[key] ?? 0;
      if (r < band) return key;
    }
    return "none";
  }

  private stream(operation: SandboxOperation): { fault: RandomSource; jitter: RandomSource } {
    let s = this.streams.get(operation);
    if (!s) {
      s = {
        fault: deriveStream(this.seed, `faults:${operation}`),
        jitter: deriveStream(this.seed, `jitter:${operation}`),
      };
      this.streams.set(operation, s);
    }
    return s;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
