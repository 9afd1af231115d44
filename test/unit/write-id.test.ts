/**
 * Record write ids (src/store/record-codec.ts) come from a pool of random bytes: each id
 * has bytes of its own, across pool refills.
 */
import { describe, expect, it } from "vitest";
import { newWriteId } from "../../src/store/record-codec.js";

describe("newWriteId", () => {
  it("gives 96-bit base64url ids that never repeat, across pool refills", () => {
    const ids = Array.from({ length: 5_000 }, () => newWriteId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // No two ids share a 6-byte half either: each takes bytes no other id took.
    const halves = ids.flatMap((id) => [id.slice(0, 8), id.slice(8)]);
    expect(new Set(halves).size).toBe(halves.length);
  });
});
