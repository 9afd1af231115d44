/**
 * Repeated ids in a batch file, against the real Redis: the duplicate-id index (a fixed
 * Bloom filter made exact by reading the file again) finds repeats far apart, across
 * chunks enqueued while the next is read, in both passes of --strict, and refuses a file
 * that changes while it reads it again.
 */
import { appendFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BatchFileError,
  BatchRefusedError,
  getBatchInfo,
  runBatch,
  type BatchRowProblem,
} from "../../src/producer/batch/index.js";
import { pipeline, useTempDir, withRun } from "../helpers/batch-run.js";

const dir = useTempDir("batch-dup-");

/** A CSV of `rows` refunds of order 9001 ("D<i>", 0.01 each), with `edit` applied by line. */
function csv(rows: number, edit: (i: number) => string | undefined = () => undefined): string {
  let text = "refundRequestId,prepayId,refundAmount\n";
  for (let i = 1; i <= rows; i++) text += `${edit(i) ?? `D${i},9001,0.01`}\n`;
  return text;
}

describe("runBatch: repeated ids", () => {
  it("finds repeats far apart, across chunks, with the line each repeats, and sends each id once", async () => {
    const p = await pipeline("batch-dup-far", false);
    const file = join(dir(), "far.csv");
    // Data lines are file lines 2…: D5 is on line 6, D700 on line 701.
    await writeFile(
      file,
      csv(900, (i) =>
        i === 650
          ? "D5,9001,0.01"
          : i === 880
            ? "D700,9001,abc"
            : i === 890
              ? "D5,9002,1"
              : undefined,
      ),
    );
    const problems: BatchRowProblem[] = [];
    const run = await runBatch(p.producer, file, {
      batchId: "far",
      chunkSize: 100,
      onProblem: (x) => problems.push(x),
    });
    await withRun(run, async () => {
      expect(run).toMatchObject({ rows: 900, duplicates: 3, invalid: 0, created: 897 });
      expect(problems.map((x) => [x.line, x.kind, x.refundRequestId, x.duplicateOfLine])).toEqual([
        [651, "duplicate", "D5", 6],
        [881, "duplicate", "D700", 701],
        [891, "duplicate", "D5", 6],
      ]);
      // A repeat that is also invalid is reported as the repeat, with every issue.
      expect(problems[1]!.issues.map((i) => i.path)).toEqual(["refundRequestId", "refundAmount"]);
      const info = await getBatchInfo(p.producer, "far");
      expect(info?.counts.total).toBe(897);
      expect((await p.producer.getRefund("D5"))?.request.prepayId).toBe("9001");
    });
  });

  it("--strict refuses a file whose only problem is a repeat far from its first line", async () => {
    const p = await pipeline("batch-dup-strict", false);
    const file = join(dir(), "strict.csv");
    await writeFile(
      file,
      csv(600, (i) => (i === 590 ? "D3,9001,0.01" : undefined)),
    );
    const err = await runBatch(p.producer, file, {
      batchId: "strict-dup",
      strict: true,
      chunkSize: 100,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchRefusedError);
    expect((err as BatchRefusedError).counts).toEqual({
      rows: 600,
      valid: 599,
      invalid: 0,
      duplicates: 1,
    });
    expect((err as BatchRefusedError).problems).toMatchObject([
      { line: 591, kind: "duplicate", refundRequestId: "D3", duplicateOfLine: 4 },
    ]);
    expect(await p.producer.getRefund("D1")).toBeNull();
    expect(await getBatchInfo(p.producer, "strict-dup")).toBeNull();
  });

  it("stops with an error when the file changes before it is read again for a repeat", async () => {
    const p = await pipeline("batch-dup-changed", false);
    const file = join(dir(), "changing.csv");
    await writeFile(
      file,
      csv(500, (i) => (i === 450 ? "D2,9001,0.01" : undefined)),
    );
    let appended = false;
    const err = await runBatch(p.producer, file, {
      batchId: "changing",
      chunkSize: 100,
      onRowsRead: () => {
        if (appended) return;
        appended = true;
        appendFileSync(file, "D9999,9001,0.01\n");
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchFileError);
    expect((err as Error).message).toMatch(/changed while it was being read: run again/);
    // What was enqueued before the repeat stays (not --strict); the batch says interrupted.
    expect(await p.producer.getRefund("D1")).not.toBeNull();
    expect(await p.producer.getRefund("D9999")).toBeNull();
    expect((await getBatchInfo(p.producer, "changing"))?.meta?.status).toBe("interrupted");
  });
});
