import { describe, expect, it } from "vitest";
import {
  fnv1a32,
  MAX_SHARDS,
  shardOf,
  shardPrefix,
  shardPrefixes,
} from "../../src/domain/shard.js";

describe("fnv1a32", () => {
  // Published FNV-1a 32 test vectors, and a non-ASCII id hashed over its UTF-8 bytes.
  it.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
    ["订单", 0x055338a0],
  ])("hashes %j to %s", (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
  });
});

describe("shardOf", () => {
  it("is 0 for every order with one shard", () => {
    for (const id of ["", "1", "P-1", "订单"]) expect(shardOf(id, 1)).toBe(0);
  });

  // Pinned: a change here would move live refunds to another shard (README "Scaling out").
  it.each([
    ["foobar", 4, 0xbf9cf968 % 4],
    ["P123", 4, 0xb6c77791 % 4],
    ["P123", 3, 0xb6c77791 % 3],
    ["订单", 7, 0x055338a0 % 7],
  ])("routes %j over %i shards to its pinned shard", (id, shards, shard) => {
    expect(shardOf(id, shards)).toBe(shard);
  });

  it("spreads numeric-looking order ids over every shard", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(String(100000 + i), 4)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it.each([0, -1, 1.5, MAX_SHARDS + 1, Number.NaN])("refuses %s shards", (n) => {
    expect(() => shardOf("x", n)).toThrow(/shard count/);
  });
});

describe("shardPrefix", () => {
  it("keeps the base prefix unchanged with one shard", () => {
    expect(shardPrefix("{gatepay}", 0, 1)).toBe("{gatepay}");
    expect(shardPrefixes("{gatepay}", 1)).toEqual(["{gatepay}"]);
  });

  it.each([
    ["{gatepay}", 0, 4, "{gatepay-s0}"],
    ["{gatepay}", 3, 4, "{gatepay-s3}"],
    ["a{b}c", 1, 2, "a{b-s1}c"],
  ])("puts the shard inside the hash tag: %s shard %i of %i", (base, shard, shards, out) => {
    expect(shardPrefix(base, shard, shards)).toBe(out);
  });

  it("refuses a shard out of range and a prefix without a hash tag", () => {
    expect(() => shardPrefix("{gatepay}", 4, 4)).toThrow(/shard must be/);
    expect(() => shardPrefix("gatepay", 0, 2)).toThrow(/hash tag/);
  });
});
