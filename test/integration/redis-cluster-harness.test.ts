/**
 * The test cluster harness itself: three masters with a replica each, created with
 * `redis-cli --cluster create`; ioredis's Cluster client routes keys of different hash
 * tags to different masters, and a replica promoted with CLUSTER FAILOVER takes over.
 */
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisCluster, type RedisCluster } from "../helpers/redis-cluster.js";
import { waitFor } from "../helpers/wait-for.js";

describe("test Redis Cluster harness", () => {
  let cluster: RedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    client = new Cluster([...cluster.seedNodes]);
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.close();
  });

  it("spreads hash tags over every master", async () => {
    const masters = await cluster.masterPorts();
    expect(masters).toHaveLength(3);
    const owners = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const key = `{harness-s${i}}:k`;
      await client.set(key, String(i));
      const slot = Number(await cluster.cli(masters[0]!, "CLUSTER", "KEYSLOT", key));
      const node = client.slots[slot]?.[0];
      owners.add(Number(node?.split(":")[1]));
    }
    expect([...owners].sort()).toEqual([...masters].sort());
  });

  it("promotes a replica with CLUSTER FAILOVER", async () => {
    const before = await cluster.masterPorts();
    const replica = cluster.nodes.find((n) => !before.includes(n.port))!;
    await cluster.cli(replica.port, "CLUSTER", "FAILOVER");
    await waitFor(
      async () => (await cluster.masterPorts()).includes(replica.port),
      "the replica to become a master",
      30_000,
      100,
    );
    expect(await cluster.masterPorts()).toHaveLength(3);
  });
});
