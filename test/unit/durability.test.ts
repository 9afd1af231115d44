import { describe, expect, it } from "vitest";
import {
  barrierArgs,
  barrierHeld,
  commonDurability,
  durabilityCovers,
  parseInfo,
  planDurability,
  postureFromInfo,
  postureProblems,
  serverEpoch,
  type DurabilityMode,
  type ServerPosture,
} from "../../src/domain/durability.js";

function posture(extra: Partial<ServerPosture> = {}): ServerPosture {
  return {
    server: "redis",
    version: "7.0.15",
    role: "master",
    connectedReplicas: 0,
    aofEnabled: false,
    appendfsync: "everysec",
    maxmemoryPolicy: "noeviction",
    hasWaitAof: false,
    runId: "r1",
    replId: "x1",
    ...extra,
  };
}

const REDIS70 = posture();
const REDIS70_REPLICA = posture({ connectedReplicas: 1 });
const REDIS70_AOF = posture({ aofEnabled: true });
const VALKEY_AOF = posture({
  server: "valkey",
  version: "8.0.1",
  aofEnabled: true,
  hasWaitAof: true,
});
const VALKEY_AOF_REPLICA = { ...VALKEY_AOF, connectedReplicas: 2 };
const VALKEY_NO_AOF = { ...VALKEY_AOF, aofEnabled: false };

describe("planDurability", () => {
  it.each<[string, DurabilityMode, ServerPosture, string, string | null]>([
    // mode, server → effective, barrier
    ["auto, bare Redis 7.0", "auto", REDIS70, "none", null],
    ["auto, AOF on Redis 7.0 (no WAITAOF)", "auto", REDIS70_AOF, "none", null],
    ["auto, a replica", "auto", REDIS70_REPLICA, "replica", "WAIT 1 1000"],
    ["auto, Valkey with AOF", "auto", VALKEY_AOF, "aof", "WAITAOF 1 0 1000"],
    [
      "auto, Valkey with AOF and replicas",
      "auto",
      VALKEY_AOF_REPLICA,
      "replica+aof",
      "WAITAOF 1 1 1000",
    ],
    ["auto, Valkey without AOF", "auto", VALKEY_NO_AOF, "none", null],
    ["replica with a replica", "replica", REDIS70_REPLICA, "replica", "WAIT 1 1000"],
    ["aof on Valkey", "aof", VALKEY_AOF, "aof", "WAITAOF 1 0 1000"],
    ["replica+aof", "replica+aof", VALKEY_AOF_REPLICA, "replica+aof", "WAITAOF 1 1 1000"],
    ["replica on Valkey with both", "replica", VALKEY_AOF_REPLICA, "replica", "WAIT 1 1000"],
    ["none, whatever the server has", "none", VALKEY_AOF_REPLICA, "none", null],
  ])("%s → %s", (_name, mode, p, effective, barrier) => {
    const plan = planDurability(mode, p);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.effective).toBe(effective);
    expect(plan.barrier ? barrierArgs(plan.barrier, 1000).join(" ") : null).toBe(barrier);
  });

  it.each<[DurabilityMode, ServerPosture, RegExp]>([
    [
      "aof",
      REDIS70_AOF,
      /REDIS_DURABILITY=aof cannot be provided: redis 7\.0\.15 has no WAITAOF \(needs Redis 7\.2 or later, or Valkey 8\)/,
    ],
    ["aof", VALKEY_NO_AOF, /the AOF is off \(set appendonly yes\)/],
    ["replica", REDIS70, /no replica is connected/],
    ["replica+aof", VALKEY_AOF, /no replica is connected/],
    ["replica+aof", REDIS70_REPLICA, /has no WAITAOF/],
  ])("refuses %s when the server cannot give it", (mode, p, reason) => {
    const plan = planDurability(mode, p);
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.reason).toMatch(reason);
  });

  it("says what can be lost when nothing is waited for, and nothing when both are", () => {
    const none = planDurability("auto", REDIS70);
    expect(none.ok && none.canLose).toMatch(/failover.*refund may then be sent twice/);
    const both = planDurability("auto", VALKEY_AOF_REPLICA);
    expect(both.ok && both.canLose).toBeUndefined();
  });
});

describe("posture", () => {
  it("parses INFO and detects Valkey, replicas, the AOF and the policy", () => {
    const info = parseInfo(
      [
        "# Server",
        "redis_version:7.2.4",
        "valkey_version:8.0.1",
        "run_id:abc",
        "",
        "# Replication",
        "role:master",
        "connected_slaves:1",
        "master_replid:def",
        "# Persistence",
        "aof_enabled:1",
        "# Memory",
        "maxmemory_policy:allkeys-lru",
      ].join("\r\n"),
    );
    const p = postureFromInfo(info, { hasWaitAof: true, appendfsync: "everysec" });
    expect(p).toEqual({
      server: "valkey",
      version: "8.0.1",
      role: "master",
      connectedReplicas: 1,
      aofEnabled: true,
      appendfsync: "everysec",
      maxmemoryPolicy: "allkeys-lru",
      hasWaitAof: true,
      runId: "abc",
      replId: "def",
    });
    expect(serverEpoch(p)).toBe("abc:def");
    // CONFIG's answer wins over INFO's when it could be read.
    expect(
      postureFromInfo(info, { hasWaitAof: true, maxmemoryPolicy: "noeviction" }).maxmemoryPolicy,
    ).toBe("noeviction");
  });

  it.each(["allkeys-lru", "volatile-lru", "allkeys-random", "volatile-ttl", "allkeys-lfu"])(
    "refuses maxmemory-policy %s with the fix in the message",
    (policy) => {
      const [problem, ...more] = postureProblems(posture({ maxmemoryPolicy: policy }));
      expect(more).toEqual([]);
      expect(problem).toContain(`maxmemory-policy is ${policy}`);
      expect(problem).toContain("CONFIG SET maxmemory-policy noeviction");
    },
  );

  it("accepts noeviction, and refuses a replica as the server to write to", () => {
    expect(postureProblems(posture())).toEqual([]);
    expect(postureProblems(posture({ role: "slave" }))).toEqual([
      "the server is a slave, not a master: point REDIS_URL at the master",
    ]);
  });
});

describe("barrier replies", () => {
  it.each<[string, unknown, boolean]>([
    ["WAIT 1", 1, true],
    ["WAIT 1", 2, true],
    ["WAIT 1", 0, false],
    ["WAITAOF 1 0", [1, 0], true],
    ["WAITAOF 1 0", [0, 0], false],
    ["WAITAOF 1 1", [1, 1], true],
    ["WAITAOF 1 1", [1, 0], false],
    ["WAITAOF 1 1", [0, 1], false],
    ["WAITAOF 1 1", "OK", false],
  ])("%s answered %j → held %s", (cmd, reply, held) => {
    const [name, a, b] = cmd.split(" ");
    const barrier =
      name === "WAIT"
        ? ({ command: "WAIT", numReplicas: 1 } as const)
        : ({
            command: "WAITAOF",
            numLocal: Number(a) as 0 | 1,
            numReplicas: Number(b) as 0 | 1,
          } as const);
    expect(barrierHeld(barrier, reply)).toBe(held);
  });

  it("never passes a zero timeout (0 would block forever)", () => {
    expect(barrierArgs({ command: "WAIT", numReplicas: 1 }, 0)).toEqual(["WAIT", "1", "1"]);
  });
});

describe("durabilityCovers", () => {
  it("is true when a mode waits for everything the other does", () => {
    expect(durabilityCovers("replica+aof", "replica")).toBe(true);
    expect(durabilityCovers("replica+aof", "aof")).toBe(true);
    expect(durabilityCovers("replica", "none")).toBe(true);
    expect(durabilityCovers("replica", "replica")).toBe(true);
    expect(durabilityCovers("none", "replica")).toBe(false);
    expect(durabilityCovers("aof", "replica")).toBe(false);
    expect(durabilityCovers("replica", "replica+aof")).toBe(false);
  });
});

describe("commonDurability", () => {
  it("is what every shard's mode waits for: the weakest shard decides", () => {
    expect(commonDurability(["replica", "replica"])).toBe("replica");
    expect(commonDurability(["replica+aof", "replica"])).toBe("replica");
    expect(commonDurability(["replica+aof", "aof", "replica+aof"])).toBe("aof");
    expect(commonDurability(["replica", "aof"])).toBe("none");
    expect(commonDurability(["replica", "none", "replica"])).toBe("none");
    expect(commonDurability(["replica+aof"])).toBe("replica+aof");
    expect(commonDurability([])).toBe("none");
  });
});
