import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DuplicateIdIndex } from "../../src/producer/batch/index.js";

describe("DuplicateIdIndex", () => {
  it("returns undefined for a new id and the first line for a repeat", () => {
    const index = new DuplicateIdIndex();
    expect(index.firstSeen("R1", 2)).toBeUndefined();
    expect(index.firstSeen("R2", 3)).toBeUndefined();
    expect(index.firstSeen("R1", 9)).toBe(2);
    expect(index.firstSeen("R1", 12)).toBe(2);
    expect(index.size).toBe(2);
  });

  it("agrees with a Map of strings on any sequence of ids, across growth", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/), { maxLength: 3_000 }),
        (ids) => {
          const index = new DuplicateIdIndex(1);
          const reference = new Map<string, number>();
          ids.forEach((id, i) => {
            const line = i + 1;
            expect(index.firstSeen(id, line)).toBe(reference.get(id));
            if (!reference.has(id)) reference.set(id, line);
          });
          expect(index.size).toBe(reference.size);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("forgets everything on clear", () => {
    const index = new DuplicateIdIndex();
    index.firstSeen("A", 1);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.firstSeen("A", 5)).toBeUndefined();
    expect(index.firstSeen("A", 6)).toBe(5);
  });

  it("holds a million ids in well under the memory of a Set of strings", () => {
    const index = new DuplicateIdIndex();
    for (let i = 1; i <= 1_000_000; i++) index.firstSeen(`refund-${i}`, i);
    expect(index.size).toBe(1_000_000);
    // 2^21 slots of 12 bytes; a Set of a million such strings takes 70-100 MB.
    expect(index.byteLength).toBeLessThanOrEqual(26 * 1024 * 1024);
    expect(index.firstSeen("refund-777777", 1_000_001)).toBe(777_777);
  });
});
