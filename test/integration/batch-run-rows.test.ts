/**
 * The batch library against the sandbox and the real Redis: bad rows in every form the
 * fixtures hold, --strict, JSONL, and file-level errors half way through.
 */
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/domain/errors.js";
import { BatchFileError } from "../../src/producer/batch/index.js";
import {
  BatchRefusedError,
  getBatchInfo,
  runBatch,
  summarizeBatch,
  waitForBatch,
  type BatchRowProblem,
} from "../../src/producer/batch/index.js";
import { fixture, pipeline, reportJson, useTempDir, withRun } from "../helpers/batch-run.js";

const dir = useTempDir("batch-run-");

describe("runBatch: bad rows", () => {
  it("lets valid rows go ahead and lists every bad row with its line, field and reason", async () => {
    const p = await pipeline("batch-mixed");
    const problems: BatchRowProblem[] = [];
    const run = await runBatch(p.producer, fixture("mixed.csv"), {
      batchId: "mixed",
      onProblem: (x) => problems.push(x),
    });
    await withRun(run, async () => {
      expect(run).toMatchObject({
        rows: 8,
        valid: 4,
        invalid: 3,
        duplicates: 1,
        created: 4,
        existing: 0,
        conflicts: 0,
        overRefunds: 0,
      });
      expect(problems).toEqual(run.problems);
      expect(problems.map((x) => [x.line, x.kind, x.refundRequestId])).toEqual([
        [6, "invalid", "M3"],
        [9, "duplicate", "M1"],
        [10, "invalid", "M4"],
        [12, "invalid", "M6"],
      ]);
      expect(problems[0]!.issues).toEqual([
        { path: "refundAmount", message: expect.stringMatching(/./) as string },
      ]);
      expect(problems[1]).toMatchObject({
        duplicateOfLine: 2,
        issues: [{ path: "refundRequestId", message: '"M1" is already on line 2' }],
      });
      expect(problems[2]!.issues).toEqual([{ path: "prepayId", message: "is required" }]);
      expect(problems[3]!.issues[0]!.message).toMatch(/has 5 cells but the header has 4/);

      expect((await waitForBatch(p.producer, run, { timeoutMs: 20_000 })).done).toBe(true);
      const rows = await reportJson(p, run, dir());
      expect(rows.map((r) => [r.line, r.refundRequestId, r.outcome, r.state])).toEqual([
        [2, "M1", "created", "succeeded"],
        [4, "M2", "created", "succeeded"],
        [6, "M3", "invalid", "invalid"],
        [9, "M1", "duplicate", "invalid"],
        [10, "M4", "invalid", "invalid"],
        [11, "M5", "created", "succeeded"],
        [12, "M6", "invalid", "invalid"],
        [13, "M7", "created", "succeeded"],
      ]);
      expect(rows[2]).toMatchObject({
        refundAmount: "abc",
        prepayId: "9001",
        errorCode: "INVALID_ROW",
        errorMessage: expect.stringMatching(/^refundAmount: /) as string,
      });
      expect(rows[3]).toMatchObject({
        errorCode: "DUPLICATE_ID",
        errorMessage: 'refundRequestId: "M1" is already on line 2',
      });
      expect(rows[0]!.gateRefundId).toMatch(/^79\d+$/);

      const summary = await summarizeBatch(p.producer, run);
      expect(summary).toEqual({
        batchId: "mixed",
        rows: 8,
        byState: { succeeded: 4, invalid: 4 },
        allSucceeded: false,
      });
    });
    // The quoted reason, with its comma and line break, reached GatePay as written.
    expect(p.sandbox.ledger.refundsFor("M2")[0]!.refundReason).toBe(
      "line one\r\nline two, with comma",
    );
    expect(p.sandbox.ledger.refundsFor("M1")).toHaveLength(1);
    expect(p.sandbox.ledger.refunds).toHaveLength(4);
  });

  it("refuses the whole file with --strict when a row is bad, storing nothing", async () => {
    const p = await pipeline("batch-strict");
    const problems: BatchRowProblem[] = [];
    const err = await runBatch(p.producer, fixture("mixed.csv"), {
      batchId: "strict",
      strict: true,
      onProblem: (x) => problems.push(x),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchRefusedError);
    expect((err as BatchRefusedError).counts).toEqual({
      rows: 8,
      valid: 4,
      invalid: 3,
      duplicates: 1,
    });
    expect((err as BatchRefusedError).problems.map((x) => x.line)).toEqual([6, 9, 10, 12]);
    expect(problems).toHaveLength(4);
    expect(await getBatchInfo(p.producer, "strict")).toBeNull();
    expect(await p.producer.getRefund("M1")).toBeNull();
    expect(p.sandbox.ledger.refunds).toHaveLength(0);
  });

  it("enqueues a clean file with --strict after reading it twice", async () => {
    const p = await pipeline("batch-strict-ok");
    const file = join(dir(), "clean.csv");
    await writeFile(file, "refundRequestId,prepayId,refundAmount\nS1,9001,1\nS2,9002,2\n");
    const run = await runBatch(p.producer, file, { batchId: "strict-ok", strict: true });
    await withRun(run, async () => {
      expect(run).toMatchObject({ rows: 2, valid: 2, created: 2, invalid: 0, duplicates: 0 });
      const done = await waitForBatch(p.producer, run, { timeoutMs: 20_000 });
      expect(done.counts).toMatchObject({ total: 2, succeeded: 2 });
    });
  });

  it("reads JSONL: bad JSON, non-objects, numbers for amounts and unknown fields are invalid rows", async () => {
    const p = await pipeline("batch-jsonl");
    const run = await runBatch(p.producer, fixture("mixed.jsonl"), { batchId: "jsonl" });
    await withRun(run, async () => {
      expect(run).toMatchObject({ rows: 7, valid: 2, invalid: 4, duplicates: 1 });
      expect(run.problems.map((x) => [x.line, x.kind])).toEqual([
        [3, "invalid"],
        [4, "invalid"],
        [6, "invalid"],
        [7, "invalid"],
        [8, "duplicate"],
      ]);
      expect(run.problems[0]!.issues[0]).toMatchObject({
        path: "refundAmount",
        message: expect.stringMatching(/not a number/) as string,
      });
      expect(run.problems[1]!.issues[0]!.message).toMatch(/^not valid JSON/);
      expect(run.problems[3]!.issues).toEqual([
        { path: "colour", message: "is not a known field" },
      ]);
      await waitForBatch(p.producer, run, { timeoutMs: 20_000 });
      const rows = await reportJson(p, run, dir());
      expect(rows.map((r) => [r.line, r.state])).toEqual([
        [1, "succeeded"],
        [3, "invalid"],
        [4, "invalid"],
        [6, "invalid"],
        [7, "invalid"],
        [8, "invalid"],
        [9, "succeeded"],
      ]);
      // A number amount is shown as given, never turned into a different string.
      expect(rows[1]).toMatchObject({ refundRequestId: "J2", refundAmount: "1.5" });
    });
  });

  it("refuses a bad batch id before reading anything", async () => {
    const p = await pipeline("batch-bad-id", false);
    const err = await runBatch(p.producer, fixture("mixed.csv"), { batchId: "no:colons" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]!.path).toBe("batchId");
    expect(await p.producer.getRefund("M1")).toBeNull();
  });

  it("generates a batch id when none is given", async () => {
    const p = await pipeline("batch-gen-id", false);
    const run = await runBatch(p.producer, fixture("convert.csv"));
    await withRun(run, async () => {
      expect(run.batchId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
      expect(await p.producer.getBatch(run.batchId)).toMatchObject({ total: 2, queued: 2 });
    });
  });
});

describe("runBatch: whole-file errors", () => {
  it("stops at bad encoding, keeps what went before, and marks the batch interrupted", async () => {
    const p = await pipeline("batch-encoding", false);
    const journalDir = await mkdtemp(join(dir(), "journal-"));
    const err = await runBatch(p.producer, fixture("bad-encoding.csv"), {
      batchId: "enc",
      journalDir,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchFileError);
    expect((err as BatchFileError).line).toBe(4);
    // Rows before the bad line went ahead (not --strict); a fixed re-run finds them.
    expect((await p.producer.getRefund("E1"))?.state).toBe("queued");
    expect((await p.producer.getRefund("E2"))?.state).toBe("queued");
    expect(await p.producer.getRefund("E4")).toBeNull();
    const info = await getBatchInfo(p.producer, "enc");
    expect(info?.meta).toMatchObject({
      status: "interrupted",
      error: expect.stringMatching(/^line 4: not valid UTF-8/) as string,
    });
    expect(await readdir(journalDir)).toEqual([]);
  });

  it("stores nothing for a bad header, an unknown column or an unreadable file", async () => {
    const p = await pipeline("batch-header", false);
    for (const [name, pattern] of [
      ["missing-header.csv", /^line 1: no header row/],
      ["unknown-columns.csv", /^line 1: unknown column\(s\): "amount"/],
      ["does-not-exist.csv", /^cannot read ".*does-not-exist\.csv"/],
    ] as const) {
      const err = await runBatch(p.producer, fixture(name), { batchId: "hdr" }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BatchFileError);
      expect((err as Error).message).toMatch(pattern);
    }
    expect(await getBatchInfo(p.producer, "hdr")).toBeNull();
    expect(await p.producer.getRefund("H1")).toBeNull();
  });

  it("stores nothing with --strict when the file breaks half way", async () => {
    const p = await pipeline("batch-strict-syntax", false);
    const err = await runBatch(p.producer, fixture("unclosed-quote.csv"), {
      batchId: "q",
      strict: true,
    }).catch((e: unknown) => e);
    expect((err as BatchFileError).message).toBe(
      "line 3: a quoted field opened in the row starting here is never closed",
    );
    expect(await p.producer.getRefund("Q1")).toBeNull();
    expect(await getBatchInfo(p.producer, "q")).toBeNull();
  });
});
