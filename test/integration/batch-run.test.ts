/**
 * The batch library against the sandbox and the real Redis: bad rows in every form the
 * fixtures hold, --strict, JSONL, re-runs, rows known from elsewhere, file-level errors
 * half way through, and the report formats.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/domain/errors.js";
import { BatchFileError } from "../../src/producer/batch/index.js";
import {
  BatchRefusedError,
  getBatchInfo,
  runBatch,
  summarizeBatch,
  waitForBatch,
  writeBatchReport,
  type BatchReportRow,
  type BatchRowProblem,
  type BatchRun,
} from "../../src/producer/batch/index.js";
import { startPipeline, type Pipeline } from "../helpers/pipeline.js";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/batch/${name}`, import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "batch-run-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pipeline(name: string, workers = true): Promise<Pipeline> {
  const p = await startPipeline({ name, workers, sandbox: { settleDelayMs: 20 } });
  p.sandbox.seedOrders([
    { prepayId: "9001", amount: "100", currency: "USDT", kind: "order" },
    { prepayId: "9002", amount: "100", currency: "USDT", kind: "order" },
  ]);
  return p;
}

/** Runs `fn` with the run, then deletes its journal. */
async function withRun<T>(run: BatchRun, fn: (run: BatchRun) => Promise<T>): Promise<T> {
  try {
    return await fn(run);
  } finally {
    await run.dispose();
  }
}

async function reportJson(p: Pipeline, run: BatchRun): Promise<BatchReportRow[]> {
  const path = join(dir, `${run.batchId}-${Date.now()}.json`);
  await writeBatchReport(p.producer, run, path);
  return JSON.parse(await readFile(path, "utf8")) as BatchReportRow[];
}

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
      const rows = await reportJson(p, run);
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
    const file = join(dir, "clean.csv");
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
      const rows = await reportJson(p, run);
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
    const journalDir = await mkdtemp(join(dir, "journal-"));
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

describe("runBatch: re-runs and rows known from before", () => {
  it("reports known rows as existing, follows them where they are counted, and flags reuse", async () => {
    const p = await pipeline("batch-known", false);
    // Known before this file: one refund enqueued alone, one from an earlier batch file,
    // and one whose id this file reuses for a different amount.
    await p.producer.enqueue({ refundRequestId: "X1", prepayId: "9001", refundAmount: "1" });
    await p.producer.enqueue({ refundRequestId: "Z1", prepayId: "9001", refundAmount: "1" });
    const oldFile = join(dir, "old.csv");
    await writeFile(oldFile, "refundRequestId,prepayId,refundAmount\nY1,9002,1\n");
    await (await runBatch(p.producer, oldFile, { batchId: "old" })).dispose();

    const file = join(dir, "known.csv");
    await writeFile(
      file,
      [
        "refundRequestId,prepayId,refundAmount,orderAmount",
        "X1,9001,1,", // 2: existing, enqueued alone
        "Y1,9002,1,", // 3: existing, batch "old"
        "Z1,9001,2,", // 4: id reused for a different amount
        "W1,9002,3,", // 5: new
        "O1,9003,6,5", // 6: more than the order: refused before sending
        "N1,404404,1,", // 7: GatePay does not know the order
        "",
      ].join("\n"),
    );
    const problems: BatchRowProblem[] = [];
    const run = await runBatch(p.producer, file, {
      batchId: "new",
      onProblem: (x) => problems.push(x),
    });
    await withRun(run, async () => {
      expect(run).toMatchObject({
        rows: 6,
        valid: 6,
        created: 3,
        existing: 2,
        conflicts: 1,
        overRefunds: 1,
      });
      expect(run.existingByState).toEqual({ queued: 2 });
      expect(run.elsewhere).toEqual({ batchIds: ["old"], refundRequestIds: ["X1"] });
      expect(problems.map((x) => [x.line, x.kind])).toEqual([
        [4, "conflict"],
        [6, "over-refund"],
      ]);
      expect(problems[0]!.issues[0]!.message).toMatch(/differs in: refundAmount/);
      // Only this file's new refunds count in this batch.
      expect(await p.producer.getBatch("new")).toMatchObject({ total: 3, queued: 2, rejected: 1 });

      // No workers yet: the wait sees the rows counted elsewhere still in flight.
      const early = await waitForBatch(p.producer, run, { intervalMs: 50, timeoutMs: 200 });
      expect(early.done).toBe(false);
      expect(early.elsewherePending).toBe(2);

      await p.startWorkers();
      const done = await waitForBatch(p.producer, run, { intervalMs: 100, timeoutMs: 20_000 });
      expect(done).toMatchObject({ done: true, elsewherePending: 0 });

      const rows = await reportJson(p, run);
      expect(rows.map((r) => [r.line, r.refundRequestId, r.outcome, r.state, r.batchId])).toEqual([
        [2, "X1", "existing", "succeeded", undefined],
        [3, "Y1", "existing", "succeeded", "old"],
        [4, "Z1", "conflict", "invalid", undefined],
        [5, "W1", "created", "succeeded", "new"],
        [6, "O1", "over-refund", "rejected", "new"],
        [7, "N1", "created", "rejected", "new"],
      ]);
      expect(rows[2]).toMatchObject({ refundAmount: "2", errorCode: "IDEMPOTENCY_CONFLICT" });
      expect(rows[4]).toMatchObject({ errorCode: "OVER_REFUND" });
      expect(rows[5]).toMatchObject({ errorCode: "400202" });
    });
    // One refund each at GatePay for X1, Y1, Z1 and W1; none for O1 or N1.
    expect(p.sandbox.ledger.refunds.map((r) => r.refundRequestId).sort()).toEqual([
      "W1",
      "X1",
      "Y1",
      "Z1",
    ]);
    expect(p.sandbox.ledger.refundsFor("Z1")[0]!.refundAmount).toBe("1");
  });

  it("keeps the batch metadata and counts right across a re-run with the same id", async () => {
    const p = await pipeline("batch-meta");
    const first = await runBatch(p.producer, fixture("mixed.csv"), { batchId: "meta" });
    await withRun(first, () => waitForBatch(p.producer, first, { timeoutMs: 20_000 }));
    const before = await getBatchInfo(p.producer, "meta");
    expect(before?.meta).toMatchObject({
      file: fixture("mixed.csv"),
      format: "csv",
      runs: 1,
      status: "enqueued",
      rows: 8,
      rowsRead: 8,
      valid: 4,
      invalid: 3,
      duplicates: 1,
      created: 4,
      existing: 0,
    });
    const again = await runBatch(p.producer, fixture("mixed.csv"), { batchId: "meta" });
    await withRun(again, async () => {
      expect(again).toMatchObject({ created: 0, existing: 4, invalid: 3, duplicates: 1 });
      expect(again.existingByState).toEqual({ succeeded: 4 });
      expect(again.elsewhere).toEqual({ batchIds: [], refundRequestIds: [] });
      const rows = await reportJson(p, again);
      expect(rows.filter((r) => r.outcome === "existing")).toHaveLength(4);
      expect(
        rows.filter((r) => r.outcome === "existing").every((r) => r.state === "succeeded"),
      ).toBe(true);
    });
    const after = await getBatchInfo(p.producer, "meta");
    expect(after?.counts).toEqual(before?.counts);
    expect(after).toMatchObject({ total: 4, final: 4 });
    expect(after?.meta).toMatchObject({
      runs: 2,
      createdAt: before?.meta?.createdAt,
      created: 0,
      existing: 4,
    });
    expect(p.sandbox.ledger.refunds).toHaveLength(4);
  });
});

describe("batch reports", () => {
  it("writes CSV with quoting, a JSON array or JSONL by extension, one row per input row", async () => {
    const p = await pipeline("batch-report", false);
    const run = await runBatch(p.producer, fixture("mixed.csv"), { batchId: "rep" });
    await withRun(run, async () => {
      const csvPath = join(dir, "rep.csv");
      const csvSummary = await writeBatchReport(p.producer, run, csvPath);
      expect(csvSummary.byState).toEqual({ queued: 4, invalid: 4 });
      const csv = await readFile(csvPath, "utf8");
      const lines = csv.split("\n");
      expect(lines[0]).toBe(
        "line,refundRequestId,outcome,state,batchId,kind,prepayId,refundAmount," +
          "refundOrderCurrency,refundOrderAmount,refundPayCurrency,refundPayAmount," +
          "gateRefundId,gatepayStatus,errorCode,errorMessage,updatedAt",
      );
      expect(lines[3]).toMatch(/^6,M3,invalid,invalid,,,9001,abc,,,,,,,INVALID_ROW,/);
      expect(lines[4]).toBe(
        '9,M1,duplicate,invalid,,,9001,10.00,,,,,,,DUPLICATE_ID,"refundRequestId: ""M1"" is already on line 2",',
      );
      expect(lines).toHaveLength(10); // header, 8 rows, final newline

      const jsonl = join(dir, "rep.ndjson");
      await writeBatchReport(p.producer, run, jsonl);
      const objects = (await readFile(jsonl, "utf8"))
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as BatchReportRow);
      expect(objects.map((o) => o.line)).toEqual([2, 4, 6, 9, 10, 11, 12, 13]);

      const json = join(dir, "rep.json");
      await writeBatchReport(p.producer, run, json);
      expect(JSON.parse(await readFile(json, "utf8"))).toEqual(objects);

      const err = await writeBatchReport(p.producer, run, join(dir, "rep.txt")).catch(
        (e: unknown) => e,
      );
      expect((err as Error).message).toMatch(/use \.csv, \.json, \.jsonl or \.ndjson/);
    });
  });

  it("leaves no half-written report behind when the journal is gone", async () => {
    const p = await pipeline("batch-report-fail", false);
    const run = await runBatch(p.producer, fixture("convert.csv"), { batchId: "gone" });
    await run.dispose();
    const out = join(dir, "gone-report");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(out);
    await expect(writeBatchReport(p.producer, run, join(out, "r.csv"))).rejects.toThrow(/ENOENT/);
    expect(await readdir(out)).toEqual([]);
  });
});
