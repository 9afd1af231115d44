/**
 * The batch library against the sandbox and the real Redis: re-runs, rows known from
 * elsewhere, and the report formats.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  getBatchInfo,
  runBatch,
  waitForBatch,
  writeBatchReport,
  type BatchReportRow,
  type BatchRowProblem,
} from "../../src/producer/batch/index.js";
import { fixture, pipeline, reportJson, useTempDir, withRun } from "../helpers/batch-run.js";

const dir = useTempDir("batch-run-");

describe("runBatch: re-runs and rows known from before", () => {
  it("reports known rows as existing, follows them where they are counted, and flags reuse", async () => {
    const p = await pipeline("batch-known", false);
    // Known before this file: one refund enqueued alone, one from an earlier batch file,
    // and one whose id this file reuses for a different amount.
    await p.producer.enqueue({ refundRequestId: "X1", prepayId: "9001", refundAmount: "1" });
    await p.producer.enqueue({ refundRequestId: "Z1", prepayId: "9001", refundAmount: "1" });
    const oldFile = join(dir(), "old.csv");
    await writeFile(oldFile, "refundRequestId,prepayId,refundAmount\nY1,9002,1\n");
    await (await runBatch(p.producer, oldFile, { batchId: "old" })).dispose();

    const file = join(dir(), "known.csv");
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

      const rows = await reportJson(p, run, dir());
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
      const rows = await reportJson(p, again, dir());
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
      const csvPath = join(dir(), "rep.csv");
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

      const jsonl = join(dir(), "rep.ndjson");
      await writeBatchReport(p.producer, run, jsonl);
      const objects = (await readFile(jsonl, "utf8"))
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as BatchReportRow);
      expect(objects.map((o) => o.line)).toEqual([2, 4, 6, 9, 10, 11, 12, 13]);

      const json = join(dir(), "rep.json");
      await writeBatchReport(p.producer, run, json);
      expect(JSON.parse(await readFile(json, "utf8"))).toEqual(objects);

      const err = await writeBatchReport(p.producer, run, join(dir(), "rep.txt")).catch(
        (e: unknown) => e,
      );
      expect((err as Error).message).toMatch(/use \.csv, \.json, \.jsonl or \.ndjson/);
    });
  });

  it("leaves no half-written report behind when the journal is gone", async () => {
    const p = await pipeline("batch-report-fail", false);
    const run = await runBatch(p.producer, fixture("convert.csv"), { batchId: "gone" });
    await run.dispose();
    const out = join(dir(), "gone-report");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(out);
    await expect(writeBatchReport(p.producer, run, join(out, "r.csv"))).rejects.toThrow(/ENOENT/);
    expect(await readdir(out)).toEqual([]);
  });
});
