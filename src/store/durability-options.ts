/** What a durability monitor is started with (src/store/durability.ts). */
import type { DurabilityMode } from "../domain/durability.js";
import type { Logger } from "../logger.js";
import type { RedisConnection as Redis } from "./redis-connection.js";

export interface DurabilityMonitorOptions {
  /** The connection the store writes on; the monitor opens a duplicate for its barriers. */
  redis: Redis;
  /** The marker key (the deployment's hash tag, so it lands where the records are). */
  markerKey: string;
  /** `REDIS_DURABILITY`; default `auto`. */
  mode?: DurabilityMode;
  /** `REDIS_DURABILITY_TIMEOUT_MS`: longest wait of one barrier; default 1,000. */
  timeoutMs?: number;
  /** How often the posture is read again, ms; default 15,000; 0 = never. */
  recheckIntervalMs?: number;
  logger?: Logger | undefined;
  /** Called when the server's run id or replication id changed (a restart or failover). */
  onEpochChange?: (previous: string, next: string) => void;
}
