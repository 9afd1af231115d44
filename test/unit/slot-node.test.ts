import { describe, expect, it } from "vitest";
import { crc16, keySlot } from "../../src/store/slot-node.js";

describe("Redis Cluster key slots", () => {
  it("is CRC-16/XMODEM (check value of 123456789 is 0x31C3)", () => {
    expect(crc16(new TextEncoder().encode("123456789"))).toBe(0x31c3);
  });

  it.each([
    ["foo", 12182],
    ["somekey", 11058],
  ])("puts %j in slot %i, as CLUSTER KEYSLOT does", (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it("hashes only a non-empty hash tag", () => {
    expect(keySlot("{gatepay-s1}:refund:r-1")).toBe(keySlot("gatepay-s1"));
    expect(keySlot("x{}{gatepay}")).toBe(crc16(new TextEncoder().encode("x{}{gatepay}")) % 16384);
  });
});
