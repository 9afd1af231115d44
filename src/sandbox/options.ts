/**
 * Options of the GatePay sandbox, with their defaults and checks. Everything the
 * `gatepay-refunds sandbox` command can set maps onto {@link SandboxOptions}.
 */
import { DUPLICATE_MODES, type DuplicateMode } from "./ledger.js";
import type { SeedOrder } from "./seed-order.js";
import { validateFaultConfig, type FaultConfig } from "./faults.js";
import type { WebhookOptions } from "./webhooks.js";

/** Settings that can also change while the sandbox runs (`configure`, `POST /__sandbox/config`). */
export interface SandboxSettings {
  /** Answer to a re-posted refundRequestId; default `"idempotent"` (tests use `"duplicate"`). */
  duplicateMode?: DuplicateMode;
  /**
   * Time from acceptance to settlement, ms. Default 1,000. `Infinity` (or any
   * non-finite value) leaves refunds in progress until `settleNow()`.
   */
  settleDelayMs?: number;
  /** Ratio of refunds that settle as failures, 0–1. Default 0. */
  failureRatio?: number;
  /** `refund_fail_reason` of failed refunds. Default `"simulated refund failure"`. */
  failureReason?: string;
  /** Where PAY_REFUND notifications go; none are sent without it. */
  webhookUrl?: string | undefined;
}

/** Options of {@link startSandbox}. */
export interface SandboxOptions extends SandboxSettings {
  /** Port to listen on; default 0 (any free port). */
  port?: number;
  /** Address to bind; default `"127.0.0.1"` (the admin routes have no authentication). */
  host?: string;
  /** The only ClientId the sandbox accepts (`X-GatePay-Certificate-ClientId`). */
  clientId: string;
  /** The Payment API Secret requests are signed with, and webhooks are signed with. */
  secretKey: string;
  /** Seed of every random decision (faults, settlement failures, webhook duplicates). Default 1. */
  seed?: number;
  /** Webhook delivery behaviour. */
  webhook?: WebhookOptions;
  /** Paid orders present from the start (and again after a reset). */
  orders?: readonly SeedOrder[];
  /** Faults present from the start (and again after a reset). */
  faults?: FaultConfig;
  /**
   * Accepted distance between a request's timestamp and the sandbox clock, ms.
   * Default 10,000 (gatepay-api.md §2.3, the stricter statement).
   */
  timestampWindowMs?: number;
  /** The sandbox clock, epoch ms; default `Date.now`. Timers still run on real time. */
  now?: () => number;
}

/** Defaults of {@link SandboxOptions}. */
export const SANDBOX_DEFAULTS = {
  port: 0,
  host: "127.0.0.1",
  duplicateMode: "idempotent",
  settleDelayMs: 1_000,
  failureRatio: 0,
  failureReason: "simulated refund failure",
  seed: 1,
  timestampWindowMs: 10_000,
} as const satisfies Partial<SandboxOptions>;

/** Fully resolved runtime settings. */
export interface ResolvedSettings {
  duplicateMode: DuplicateMode;
  settleDelayMs: number;
  failureRatio: number;
  failureReason: string;
  webhookUrl: string | undefined;
}

/**
 * Checks settings and merges them over `base`.
 *
 * @throws RangeError naming the offending option.
 */
export function mergeSettings(base: ResolvedSettings, changes: SandboxSettings): ResolvedSettings {
  const out = { ...base };
  if (changes.duplicateMode !== undefined) {
    if (!DUPLICATE_MODES.includes(changes.duplicateMode)) {
      throw new RangeError(`duplicateMode must be one of ${DUPLICATE_MODES.join(", ")}`);
    }
    out.duplicateMode = changes.duplicateMode;
  }
  if (changes.settleDelayMs !== undefined) {
    if (
      typeof changes.settleDelayMs !== "number" ||
      Number.isNaN(changes.settleDelayMs) ||
      changes.settleDelayMs < 0
    ) {
      throw new RangeError("settleDelayMs must be a number ≥ 0 (Infinity = only on settleNow)");
    }
    out.settleDelayMs = changes.settleDelayMs;
  }
  if (changes.failureRatio !== undefined) {
    checkRatio("failureRatio", changes.failureRatio);
    out.failureRatio = changes.failureRatio;
  }
  if (changes.failureReason !== undefined) {
    if (typeof changes.failureReason !== "string")
      throw new RangeError("failureReason must be a string");
    out.failureReason = changes.failureReason;
  }
  if ("webhookUrl" in changes) {
    const url = changes.webhookUrl;
    if (url !== undefined) {
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        throw new RangeError("webhookUrl must be an absolute http(s) URL");
      }
      if (protocol !== "http:" && protocol !== "https:") {
        throw new RangeError("webhookUrl must be an absolute http(s) URL");
      }
    }
    out.webhookUrl = url;
  }
  return out;
}

/**
 * Checks the options that are fixed for the sandbox's lifetime.
 *
 * @throws RangeError naming the offending option.
 */
export function checkStartOptions(o: SandboxOptions): void {
  if (typeof o.clientId !== "string" || o.clientId === "")
    throw new RangeError("clientId is required");
  if (typeof o.secretKey !== "string" || o.secretKey === "")
    throw new RangeError("secretKey is required");
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535)) {
    throw new RangeError("port must be an integer from 0 to 65535");
  }
  if (o.seed !== undefined && !Number.isInteger(o.seed))
    throw new RangeError("seed must be an integer");
  if (
    o.timestampWindowMs !== undefined &&
    !(o.timestampWindowMs >= 0 && Number.isFinite(o.timestampWindowMs))
  ) {
    throw new RangeError("timestampWindowMs must be a finite number ≥ 0");
  }
  const w = o.webhook;
  if (w) {
    if (w.duplicateRatio !== undefined) checkRatio("webhook.duplicateRatio", w.duplicateRatio);
    if (w.timeoutMs !== undefined && !(w.timeoutMs > 0 && Number.isFinite(w.timeoutMs))) {
      throw new RangeError("webhook.timeoutMs must be a positive number");
    }
    const s = w.schedule;
    if (s !== undefined && s !== "gatepay" && s !== "compressed") {
      if (
        !Array.isArray(s) ||
        !s.every((d) => typeof d === "number" && Number.isFinite(d) && d >= 0)
      ) {
        throw new RangeError(
          'webhook.schedule must be "gatepay", "compressed" or a list of delays in ms',
        );
      }
    }
  }
  if (o.faults !== undefined) validateFaultConfig(o.faults);
}

function checkRatio(name: string, v: unknown): void {
  if (typeof v !== "number" || !(v >= 0 && v <= 1))
    throw new RangeError(`${name} must be a ratio from 0 to 1`);
}
