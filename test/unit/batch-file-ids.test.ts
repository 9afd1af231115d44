import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DuplicateIdIndex } from "../../src/producer/batch/index.js";
import { UNSURE, type IdAtLine } from "../../src/producer/batch/duplicate-id-index.js";

/**
 * Runs `ids` (line = position + 1; undefined = a row without a usable id) through the
 * index as a batch run does, resolving when it is unsure; returns what firstSeen said.
 */
async function firstSeenAll(
  index: DuplicateIdIndex,
  ids: readonly (string | undefined)[],
): Promise<{ answers: (number | undefined)[]; scans: number }> {
  let scans = 0;
  // eslint-disable-next-line @typescript-eslint/require-await -- a file read is async
  const scan = async function* (): AsyncGenerator<IdAtLine> {
    scans += 1;
    for (let i = 0; i < ids.length; i++) yield { id: ids[i], line: i + 1 };
  };
  const answers: (number | undefined)[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined) {
      answers.push(undefined);
      continue;
    }
    let first = index.firstSeen(id, i + 1);
    if (first === UNSURE) {
      await index.resolve(scan, i + 1);
      first = index.firstSeen(id, i + 1);
      expect(first).not.toBe(UNSURE);
    }
    answers.push(first);
  }
  return { answers, scans };
}

/** What an exact Map of strings says for the same ids. */
function reference(ids: readonly (string | undefined)[]): (number | undefined)[] {
  const first = new Map<string, number>();
  return ids.map((id, i) => {
    if (id === undefined) return undefined;
    const at = first.get(id);
    if (at === undefined) first.set(id, i + 1);
    return at;
  });
}

describe("DuplicateIdIndex", () => {
  it("returns undefined for a new id and the first line for a repeat", async () => {
    const ids = ["R1", "R2", undefined, "R3", "R1", "R2", "R1"];
    const { answers, scans } = await firstSeenAll(new DuplicateIdIndex(), ids);
    expect(answers).toEqual([undefined, undefined, undefined, undefined, 1, 2, 1]);
    // The first repeat made it exact: one read for the candidates, one for their lines.
    expect(scans).toBe(2);
  });

  it("reads nothing again when no id repeats", async () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `refund-${i}`);
    const index = new DuplicateIdIndex();
    const { answers, scans } = await firstSeenAll(index, ids);
    expect(answers.every((a) => a === undefined)).toBe(true);
    expect(scans).toBe(0);
    expect(index.candidates).toBe(0);
  });

  it("does not guess when the filter may hold the id", () => {
    const index = new DuplicateIdIndex();
    expect(index.firstSeen("A", 1)).toBeUndefined();
    expect(index.firstSeen("A", 2)).toBe(UNSURE);
    expect(index.firstSeen("A", 3)).toBe(UNSURE);
  });

  it("agrees with a Map of strings on any sequence of ids, false positives included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/), { nil: undefined }), {
          maxLength: 3_000,
        }),
        fc.constantFrom(1024, 4096, 2 ** 20),
        async (ids, bits) => {
          // A 1,024-bit filter is nearly full after a few hundred ids: most ids then look
          // like repeats, and only the exact second check keeps the answers right.
          const { answers } = await firstSeenAll(new DuplicateIdIndex(bits), ids);
          expect(answers).toEqual(reference(ids));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("forgets everything on clear", async () => {
    const index = new DuplicateIdIndex();
    expect((await firstSeenAll(index, ["A", "B", "A"])).answers).toEqual([undefined, undefined, 1]);
    index.clear();
    expect(index.candidates).toBe(0);
    expect((await firstSeenAll(index, ["A", "A"])).answers).toEqual([undefined, 1]);
  });

  it("holds the same memory for a hundred thousand ids and for a million", () => {
    const index = new DuplicateIdIndex();
    const sizes: number[] = [];
    let unsure = 0;
    for (let i = 1; i <= 1_000_000; i++) {
      const id = `refund-${i}`;
      if (index.firstSeen(id, i) === UNSURE) unsure += 1;
      if (i === 100_000 || i === 1_000_000) sizes.push(index.byteLength);
    }
    expect(sizes).toEqual([16 * 1024 * 1024, 16 * 1024 * 1024]);
    // A false positive of the filter costs one more read of the file: rare at this size.
    expect(unsure).toBeLessThan(3);
    expect(index.firstSeen("refund-777777", 1_000_001)).toBe(UNSURE);
  });
});
