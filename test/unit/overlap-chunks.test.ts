import { describe, expect, it } from "vitest";
import { overlapChunks } from "../../src/producer/overlap-chunks.js";

/** A promise with its resolve and reject in hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe("overlapChunks", () => {
  it("runs first parts in chunk order, one at a time, with at most two chunks in flight", async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 10 }, (_, i) => i);
    await overlapChunks(items, 3, async (chunk, release) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      log.push(`start ${chunk.join("")}`);
      await tick();
      log.push(`release ${chunk.join("")}`);
      release();
      await tick();
      await tick();
      log.push(`end ${chunk.join("")}`);
      inFlight -= 1;
    });
    expect(most).toBe(2);
    const firsts = log.filter((l) => !l.startsWith("end"));
    expect(firsts).toEqual([
      "start 012",
      "release 012",
      "start 345",
      "release 345",
      "start 678",
      "release 678",
      "start 9",
      "release 9",
    ]);
    // The next chunk started before the previous one ended: they overlapped.
    expect(log.indexOf("start 345")).toBeLessThan(log.indexOf("end 012"));
    expect(log.filter((l) => l.startsWith("end"))).toHaveLength(4);
  });

  it("starts nothing after a failure, waits for the chunk in flight, throws the first error", async () => {
    const started: number[] = [];
    const second = deferred();
    let secondEnded = false;
    const run = overlapChunks([0, 1, 2, 3, 4], 1, async ([n], release) => {
      started.push(n!);
      if (n === 0) {
        release();
        await tick();
        throw new Error("chunk 0 failed");
      }
      release();
      if (n === 1) {
        await second.promise;
        secondEnded = true;
      }
    });
    let settled = false;
    void run.catch(() => (settled = true));
    await tick();
    await tick();
    expect(settled).toBe(false); // chunk 1 is still in flight
    second.resolve();
    await expect(run).rejects.toThrow("chunk 0 failed");
    expect(secondEnded).toBe(true);
    expect(started).toEqual([0, 1]);
  });

  it("does nothing for no items, and a step that never releases still ends in order", async () => {
    const seen: number[][] = [];
    await overlapChunks([], 2, () => Promise.reject(new Error("never called")));
    await overlapChunks([1, 2, 3], 2, async (chunk) => {
      seen.push(chunk);
      await tick();
    });
    expect(seen).toEqual([[1, 2], [3]]);
  });

  it("prepares the next chunk while the current one waits, each once, in order", async () => {
    const log: string[] = [];
    const gate = deferred();
    const items = [0, 1, 2, 3, 4, 5, 6];
    await overlapChunks<number, string>(
      items,
      3,
      async (prepared, release) => {
        log.push(`step ${prepared}`);
        if (prepared === "p012")
          await gate.promise; // the first chunk waits on "Redis"
        else await tick();
        release();
      },
      (chunk) => {
        log.push(`prepare ${chunk.join("")}`);
        if (chunk[0] === 3) gate.resolve(); // made while the first step was waiting
        return `p${chunk.join("")}`;
      },
    );
    expect(log).toEqual([
      "prepare 012",
      "step p012",
      "prepare 345",
      "step p345",
      "prepare 6",
      "step p6",
    ]);
  });

  it("a prepare that throws starts nothing more, waits for the chunk in flight, throws", async () => {
    const started: number[] = [];
    const first = deferred();
    let firstEnded = false;
    const run = overlapChunks(
      [0, 1, 2],
      1,
      async ([n], release) => {
        started.push(n!);
        release();
        await first.promise;
        firstEnded = true;
      },
      (chunk) => {
        if (chunk[0] === 1) throw new Error("bad chunk 1");
        return chunk;
      },
    );
    let settled = false;
    void run.catch(() => (settled = true));
    await tick();
    await tick();
    expect(settled).toBe(false); // chunk 0 is still in flight
    first.resolve();
    await expect(run).rejects.toThrow("bad chunk 1");
    expect(firstEnded).toBe(true);
    expect(started).toEqual([0]);
  });
});
