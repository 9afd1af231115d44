/**
 * What must hold a Redis write before money may move on it (issue 12, README
 * "Durability"). Pure: the server's posture comes in as data, the decision goes out as
 * data; src/store/durability.ts does the I/O.
 *
 * Why: Redis acknowledges a write before any replica or the disk has it. A failover to a
 * lagging replica, or a host crash under `appendfsync everysec`, rolls records back. If
 * the rolled-back write was the intent to send (`submitting`, may exist) and the POST had
 * left, the next run sends the refund again. So the intent is made durable first: `WAIT`
 * (a replica has it) or `WAITAOF` (the local AOF, and optionally a replica's, is fsynced).
 */

/** `REDIS_DURABILITY` values. */
export const DURABILITY_MODES = ["auto", "replica", "aof", "replica+aof", "none"] as const;
export type DurabilityMode = (typeof DURABILITY_MODES)[number];
/** What a running process actually waits for. */
export type EffectiveDurability = Exclude<DurabilityMode, "auto">;

/** What the server says about itself (INFO server/replication/persistence, CONFIG, COMMAND). */
export interface ServerPosture {
  /** `redis` or `valkey`. */
  server: string;
  /** The server's version (`valkey_version` for Valkey, else `redis_version`). */
  version: string;
  /** `master` or `slave`. */
  role: string;
  /** Replicas connected now (`connected_slaves`). */
  connectedReplicas: number;
  /** `aof_enabled:1`. */
  aofEnabled: boolean;
  /** `appendfsync` when readable (CONFIG may be refused), else undefined. */
  appendfsync: string | undefined;
  /** `maxmemory-policy` (CONFIG GET, or INFO memory's `maxmemory_policy`). */
  maxmemoryPolicy: string | undefined;
  /** The server knows `WAITAOF` (Redis ≥ 7.2, Valkey ≥ 8). */
  hasWaitAof: boolean;
  /** `run_id`: changes when the process restarts. */
  runId: string;
  /** `master_replid`: changes on a failover (promotion). */
  replId: string;
}

/** The barrier command to run after the writes it must cover. */
export type BarrierCommand =
  { command: "WAIT"; numReplicas: 1 } | { command: "WAITAOF"; numLocal: 0 | 1; numReplicas: 0 | 1 };

export type DurabilityPlan =
  | {
      ok: true;
      requested: DurabilityMode;
      effective: EffectiveDurability;
      /** null: no barrier (`none`). */
      barrier: BarrierCommand | null;
      /** What this mode can lose, for the one start-up line (`warn` when something can). */
      canLose: string | undefined;
    }
  | { ok: false; requested: DurabilityMode; reason: string };

/** Parses `INFO` text into its fields (sections and comments dropped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.indexOf(":");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** The posture from INFO fields plus what CONFIG GET and COMMAND INFO said. */
export function postureFromInfo(
  info: Record<string, string>,
  extra: {
    maxmemoryPolicy?: string | undefined;
    appendfsync?: string | undefined;
    hasWaitAof: boolean;
  },
): ServerPosture {
  const valkey = info.valkey_version;
  return {
    server: valkey !== undefined ? "valkey" : "redis",
    version: valkey ?? info.redis_version ?? "unknown",
    role: info.role ?? "unknown",
    connectedReplicas: Number(info.connected_slaves ?? "0") || 0,
    aofEnabled: info.aof_enabled === "1",
    appendfsync: extra.appendfsync,
    maxmemoryPolicy: extra.maxmemoryPolicy ?? info.maxmemory_policy,
    hasWaitAof: extra.hasWaitAof,
    runId: info.run_id ?? "",
    replId: info.master_replid ?? "",
  };
}

/**
 * The server's identity for clocks: a restart changes `run_id`, a failover changes the
 * replication id. Times read with TIME before and after a change come from different
 * clocks (see grace-clock.ts).
 */
export function serverEpoch(p: Pick<ServerPosture, "runId" | "replId">): string {
  return `${p.runId}:${p.replId}`;
}

/**
 * Problems that forbid running at all, whatever the mode: an evicted record is a lost
 * refund (or one sent twice), so only `noeviction` is accepted. Empty when fine.
 */
export function postureProblems(p: ServerPosture): string[] {
  const problems: string[] = [];
  if (p.maxmemoryPolicy !== undefined && p.maxmemoryPolicy !== "noeviction") {
    problems.push(
      `maxmemory-policy is ${p.maxmemoryPolicy}: Redis may evict refund records (a lost or ` +
        `doubled refund); set "maxmemory-policy noeviction" (CONFIG SET maxmemory-policy ` +
        `noeviction, and in redis.conf)`,
    );
  }
  if (p.role !== "master" && p.role !== "unknown") {
    problems.push(`the server is a ${p.role}, not a master: point REDIS_URL at the master`);
  }
  return problems;
}

function barrierOf(effective: EffectiveDurability): BarrierCommand | null {
  switch (effective) {
    case "none":
      return null;
    case "replica":
      return { command: "WAIT", numReplicas: 1 };
    case "aof":
      return { command: "WAITAOF", numLocal: 1, numReplicas: 0 };
    case "replica+aof":
      return { command: "WAITAOF", numLocal: 1, numReplicas: 1 };
  }
}

function lossOf(effective: EffectiveDurability, p: ServerPosture): string | undefined {
  const disk = p.aofEnabled
    ? `a crash of the Redis host can lose up to about a second of acknowledged writes (AOF, appendfsync ${p.appendfsync ?? "unknown"}, not waited for)`
    : "a restart or crash of Redis loses every write since the last snapshot (no AOF)";
  const failover = "a failover to a lagging replica can lose acknowledged writes";
  switch (effective) {
    case "none":
      return `${failover}; ${disk}: a refund may then be sent twice or an acknowledged enqueue lost`;
    case "replica":
      return p.aofEnabled && p.appendfsync === "always"
        ? undefined
        : "losing the master and its replica together (same host or zone) can still lose writes";
    case "aof":
      return "losing the Redis host's disk, or a failover to a replica, can still lose writes";
    case "replica+aof":
      return undefined;
  }
}

/**
 * Decides what to wait for. `auto` takes what the server can give (a replica, the AOF
 * where `WAITAOF` exists, or both) and falls back to `none`; an explicit mode the server
 * cannot give now is refused (`ok: false`) with the reason.
 */
export function planDurability(requested: DurabilityMode, p: ServerPosture): DurabilityPlan {
  const replica = p.connectedReplicas >= 1;
  const aof = p.aofEnabled && p.hasWaitAof;
  const missing: string[] = [];
  if ((requested === "replica" || requested === "replica+aof") && !replica) {
    missing.push("no replica is connected (INFO replication: connected_slaves:0)");
  }
  if (requested === "aof" || requested === "replica+aof") {
    if (!p.hasWaitAof) {
      missing.push(
        `${p.server} ${p.version} has no WAITAOF (needs Redis 7.2 or later, or Valkey 8)`,
      );
    }
    if (!p.aofEnabled) missing.push("the AOF is off (set appendonly yes)");
  }
  if (missing.length > 0) {
    return {
      ok: false,
      requested,
      reason: `REDIS_DURABILITY=${requested} cannot be provided: ${missing.join("; ")}`,
    };
  }
  let effective: EffectiveDurability;
  if (requested !== "auto") effective = requested;
  else if (replica && aof) effective = "replica+aof";
  else if (replica) effective = "replica";
  else if (aof) effective = "aof";
  else effective = "none";
  return {
    ok: true,
    requested,
    effective,
    barrier: barrierOf(effective),
    canLose: lossOf(effective, p),
  };
}

/** What each mode waits for. */
const GUARANTEES: Record<EffectiveDurability, readonly ("replica" | "aof")[]> = {
  none: [],
  replica: ["replica"],
  aof: ["aof"],
  "replica+aof": ["replica", "aof"],
};

/** True when mode `a` waits for everything `b` waits for (and maybe more). */
export function durabilityCovers(a: EffectiveDurability, b: EffectiveDurability): boolean {
  return GUARANTEES[b].every((g) => GUARANTEES[a].includes(g));
}

/**
 * What every one of `modes` waits for (their common guarantees): the mode a deployment of
 * several shards can promise as a whole. `none` for an empty list.
 */
export function commonDurability(modes: readonly EffectiveDurability[]): EffectiveDurability {
  if (modes.length === 0) return "none";
  const common = (g: "replica" | "aof") => modes.every((m) => GUARANTEES[m].includes(g));
  if (common("replica")) return common("aof") ? "replica+aof" : "replica";
  return common("aof") ? "aof" : "none";
}

/** The command and arguments of a barrier with `timeoutMs` (0 is never used: it blocks forever). */
export function barrierArgs(b: BarrierCommand, timeoutMs: number): [string, ...string[]] {
  const t = String(Math.max(1, Math.floor(timeoutMs)));
  return b.command === "WAIT"
    ? ["WAIT", String(b.numReplicas), t]
    : ["WAITAOF", String(b.numLocal), String(b.numReplicas), t];
}

/** True when a barrier's reply says the writes are held as asked. */
export function barrierHeld(b: BarrierCommand, reply: unknown): boolean {
  if (b.command === "WAIT") return typeof reply === "number" && reply >= b.numReplicas;
  if (!Array.isArray(reply) || reply.length < 2) return false;
  const [local, replicas] = reply as unknown[];
  return Number(local) >= b.numLocal && Number(replicas) >= b.numReplicas;
}

/** The one start-up line's fields: persistence, replicas, mode. */
export function describePosture(p: ServerPosture, plan: DurabilityPlan): Record<string, unknown> {
  return {
    server: `${p.server} ${p.version}`,
    aof: p.aofEnabled ? `on (appendfsync ${p.appendfsync ?? "unknown"})` : "off",
    connectedReplicas: p.connectedReplicas,
    maxmemoryPolicy: p.maxmemoryPolicy ?? "unknown",
    requested: plan.requested,
    durability: plan.ok ? plan.effective : "refused",
  };
}
