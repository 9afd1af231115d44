/**
 * The shapes of one bench run's results, which bench/report*.ts render.
 */
import type { RecoveryMeasure } from "./recovery.js";
import type { ClientMeasure } from "./client.js";
import type { UnknownOutcomeResult } from "./unknown-outcome.js";
import type { DurabilityResult } from "./durability.js";
import type { ScaleResult } from "./scale.js";
import type { EnqueueMeasure, RssMeasure } from "./enqueue.js";
import type { ScenarioResult } from "./lifecycle.js";
import type { ProfileShare } from "./profile-summary.js";
import type { RedisCost } from "./redis-cost.js";
import type { SigningMeasure } from "./signing.js";
import type { SystemMode } from "./system.js";
import type { WebhookLatency } from "./webhook.js";

/** The machine and software a run measured. */
export interface Environment {
  date: string;
  durationS: number;
  nproc: number;
  cpuModel: string;
  memTotalGiB: number;
  os: string;
  /** 1-minute load average when the run started and ended. */
  loadStart: number;
  loadEnd: number;
  /** Highest 1-minute load average sampled during the run. */
  loadMax: number;
  versions: Record<string, string>;
  settings: Record<string, string>;
}

/** A CPU profile of one system's worker process. */
export interface ProfileResult {
  mode: SystemMode;
  cpuMsPerRefund: number;
  shares: ProfileShare[];
}

/** Everything one run measured; absent sections were not run. */
export interface BenchResults {
  env: Environment;
  lifecycle?: ScenarioResult[] | undefined;
  profiles?: ProfileResult[] | undefined;
  client?: ClientMeasure[] | undefined;
  enqueue?: EnqueueMeasure[] | undefined;
  batchMemory?: RssMeasure[] | undefined;
  redisCost?: RedisCost[] | undefined;
  webhook?: WebhookLatency[] | undefined;
  signing?: SigningMeasure[] | undefined;
  recovery?: RecoveryMeasure[] | undefined;
  unknownOutcome?: UnknownOutcomeResult | undefined;
  /** Barrier modes against `none` and against the bare baseline (issues 12, 17). */
  durability?: DurabilityResult | undefined;
  /** 1 vs 2 worker processes on the single Redis (issue 17). */
  scale?: ScaleResult | undefined;
  /** 1 vs 4 shards, 1 vs 2 processes on a 3-master cluster (issues 15, 17). */
  cluster?: ScaleResult | undefined;
  /** Sections that could not run, with the reason. */
  pending: { section: string; reason: string }[];
}
