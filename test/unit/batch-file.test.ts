import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BatchFileError,
  batchFileFormat,
  MAX_BATCH_LINE_BYTES,
  readBatchFile,
  readBatchRows,
  type BatchFileFormat,
  type BatchRow,
} from "../../src/producer/batch/index.js";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/batch/${name}`, import.meta.url));

async function rowsOf(source: AsyncIterable<BatchRow>): Promise<BatchRow[]> {
  const rows: BatchRow[] = [];
  for await (const row of source) rows.push(row);
  return rows;
}

/** Reads `bytes` split into chunks at `cuts` (offsets), as a stream would deliver them. */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

async function read(text: string | Buffer, format: BatchFileFormat = "csv"): Promise<BatchRow[]> {
  return rowsOf(readBatchRows([Buffer.from(text)], format));
}

async function fileError(text: string | Buffer, format: BatchFileFormat = "csv") {
  const err = await read(text, format).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BatchFileError);
  return err as BatchFileError;
}

describe("batchFileFormat", () => {
  it("goes by the extension, case-insensitively", () => {
    expect(batchFileFormat("a/b/refunds.csv")).toBe("csv");
    expect(batchFileFormat("REFUNDS.CSV")).toBe("csv");
    expect(batchFileFormat("x.jsonl")).toBe("jsonl");
    expect(batchFileFormat("x.ndjson")).toBe("jsonl");
  });

  it("refuses other extensions with a clear error", () => {
    expect(() => batchFileFormat("refunds.json")).toThrow(/use \.csv, \.jsonl or \.ndjson/);
    expect(() => batchFileFormat("refunds")).toThrow(BatchFileError);
  });
});

describe("readBatchFile: CSV", () => {
  it("reads BOM, CRLF, quoted commas, quoted newlines and doubled quotes, with start lines", async () => {
    const rows = await rowsOf(readBatchFile(fixture("mixed.csv")));
    expect(rows.map((r) => r.line)).toEqual([2, 4, 6, 9, 10, 11, 12, 13]);
    expect(rows[0]!.fields).toEqual({
      refundRequestId: "M1",
      prepayId: "9001",
      refundAmount: "10.00",
      refundReason: "damaged, returned",
    });
    expect(rows[1]!.fields["refundReason"]).toBe("line one\r\nline two, with comma");
    expect(rows[5]!.fields).toEqual({
      refundRequestId: "M5",
      prepayId: "9002",
      refundAmount: "1.25",
      refundReason: 'quoted "word"',
    });
  });

  it("reads an empty cell as an empty string and a short row as empty trailing cells", async () => {
    const rows = await rowsOf(readBatchFile(fixture("mixed.csv")));
    expect(rows[4]!.fields["prepayId"]).toBe("");
    expect(rows[7]!.fields).toEqual({
      refundRequestId: "M7",
      prepayId: "9002",
      refundAmount: "0.5",
      refundReason: "",
    });
    expect(rows[7]!.issues).toBeUndefined();
  });

  it("flags a row with more cells than the header, and tolerates empty extra cells", async () => {
    const rows = await rowsOf(readBatchFile(fixture("mixed.csv")));
    expect(rows[6]!.line).toBe(12);
    expect(rows[6]!.issues).toEqual([
      { path: "", message: "has 5 cells but the header has 4 columns (an unquoted comma?)" },
    ]);
    const tolerant = await read("refundRequestId,prepayId\nA,1,,\n");
    expect(tolerant).toEqual([{ line: 2, fields: { refundRequestId: "A", prepayId: "1" } }]);
  });

  it("gives the same rows and lines however the bytes are chunked", async () => {
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(fixture("mixed.csv"));
    const whole = await read(bytes);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const rows = await rowsOf(readBatchRows(chunked(bytes, cuts), "csv"));
          expect(rows).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("counts lines of LF, CRLF and mixed files alike", async () => {
    const lf = await read('refundRequestId,prepayId\nA,1\n\nB,"x\ny"\nC,3\n');
    const crlf = await read('refundRequestId,prepayId\r\nA,1\r\n\r\nB,"x\r\ny"\r\nC,3\r\n');
    const mixed = await read('refundRequestId,prepayId\r\nA,1\n\r\nB,"x\ny"\r\nC,3');
    for (const rows of [lf, crlf, mixed]) expect(rows.map((r) => r.line)).toEqual([2, 4, 6]);
  });

  it("trims spaces around cells and header names", async () => {
    const rows = await read(" refundRequestId , prepayId \n A , 1 \n");
    expect(rows).toEqual([{ line: 2, fields: { refundRequestId: "A", prepayId: "1" } }]);
  });

  it("accepts a header-only file (no rows)", async () => {
    expect(await read("refundRequestId,prepayId,refundAmount\r\n\r\n")).toEqual([]);
  });

  it("reads a convert file", async () => {
    const rows = await rowsOf(readBatchFile(fixture("convert.csv")));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.fields["kind"]).toBe("convert");
    expect(rows[0]!.fields["refundPayAmount"]).toBe("0.0001");
    expect(rows[1]!.fields["onBehalfOf"]).toBe("");
  });
});

describe("readBatchFile: whole-file errors name the line", () => {
  it("refuses bytes that are not UTF-8, naming the line, after yielding the rows before", async () => {
    const seen: number[] = [];
    const err = await (async () => {
      for await (const row of readBatchFile(fixture("bad-encoding.csv"))) seen.push(row.line);
    })().then(
      () => undefined,
      (e: unknown) => e as BatchFileError,
    );
    expect(err).toBeInstanceOf(BatchFileError);
    expect(err!.code).toBe("encoding");
    expect(err!.line).toBe(4);
    expect(err!.message).toBe(
      "line 4: not valid UTF-8 (byte 14 of the line): save the file as UTF-8",
    );
    expect(seen).toEqual([2, 3]);
  });

  it("finds the bad line whatever the chunking, in JSONL too", async () => {
    const good = "refundRequestId,prepayId\n" + "A,é€😀\n".repeat(40);
    const bytes = Buffer.concat([Buffer.from(good), Buffer.from([0xc3, 0x28, 0x0a])]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 20 }),
        fc.constantFrom<BatchFileFormat>("csv", "jsonl"),
        async (cuts, format) => {
          const err = await rowsOf(readBatchRows(chunked(bytes, cuts), format)).then(
            () => undefined,
            (e: unknown) => e as BatchFileError,
          );
          expect(err?.code).toBe("encoding");
          expect(err?.line).toBe(42);
          expect(err?.message).toMatch(/byte 1 of the line/);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses a file without a header row", async () => {
    const err = await rowsOf(readBatchFile(fixture("missing-header.csv"))).catch(
      (e: unknown) => e as BatchFileError,
    );
    expect(err).toBeInstanceOf(BatchFileError);
    expect((err as BatchFileError).code).toBe("header");
    expect((err as BatchFileError).message).toMatch(
      /^line 1: no header row: the first row \("H1,9001,1\.00,no header"\) names no known column/,
    );
  });

  it("names unknown columns, suggesting the right spelling", async () => {
    const err = await rowsOf(readBatchFile(fixture("unknown-columns.csv"))).catch(
      (e: unknown) => e as BatchFileError,
    );
    expect((err as BatchFileError).message).toMatch(
      /^line 1: unknown column\(s\): "amount", "RefundReason" \(did you mean refundReason\?\); allowed: refundRequestId, prepayId,/,
    );
  });

  it("names a header after blank lines by its own line", async () => {
    const err = await fileError("\n\nrefundRequestId,prepayId,bogus\n");
    expect(err.line).toBe(3);
  });

  it("refuses repeated, unnamed and missing required columns", async () => {
    expect((await fileError("refundRequestId,prepayId,prepayId\n")).message).toBe(
      "line 1: column(s) named twice: prepayId",
    );
    expect((await fileError("refundRequestId,,prepayId\n")).message).toMatch(
      /unknown column\(s\): \(a column with no name, position 2\)/,
    );
    expect((await fileError("refundRequestId,refundAmount\nA,1\n")).message).toBe(
      "line 1: missing required column(s): prepayId",
    );
  });

  it("refuses an empty file", async () => {
    for (const text of ["", "\n\r\n", "\uFEFF"]) {
      const err = await fileError(text);
      expect(err.code).toBe("header");
      expect(err.message).toMatch(/the file is empty/);
    }
  });

  it("refuses an unclosed quote, naming the line where its row starts", async () => {
    const rows: number[] = [];
    const err = await (async () => {
      for await (const row of readBatchFile(fixture("unclosed-quote.csv"))) rows.push(row.line);
    })().catch((e: unknown) => e as BatchFileError);
    expect(rows).toEqual([2]);
    expect(err).toBeInstanceOf(BatchFileError);
    expect((err as BatchFileError).message).toBe(
      "line 3: a quoted field opened in the row starting here is never closed",
    );
  });

  it("refuses a misplaced quote, naming its row's line", async () => {
    const err = await fileError('refundRequestId,prepayId\nA,1\nB,"2"x\n');
    expect(err.code).toBe("syntax");
    expect(err.line).toBe(3);
    const opening = await fileError('refundRequestId,prepayId\nA,1\n\nB,2"x"\n');
    expect(opening.line).toBe(4);
  });

  it("refuses a line longer than the limit instead of buffering it", async () => {
    const long = Buffer.alloc(MAX_BATCH_LINE_BYTES + 10, "a");
    const bytes = Buffer.concat([Buffer.from("refundRequestId,prepayId\nA,1\n"), long]);
    const err = await rowsOf(readBatchRows(chunked(bytes, [100, 70_000, 700_000]), "csv")).catch(
      (e: unknown) => e as BatchFileError,
    );
    expect((err as BatchFileError).code).toBe("line-too-long");
    expect((err as BatchFileError).line).toBe(3);
  });

  it("reports a missing file as an io error naming it", async () => {
    const err = await rowsOf(readBatchFile("/nonexistent/refunds.csv")).catch(
      (e: unknown) => e as BatchFileError,
    );
    expect(err).toBeInstanceOf(BatchFileError);
    expect((err as BatchFileError).code).toBe("io");
    expect((err as BatchFileError).message).toMatch(/cannot read "\/nonexistent\/refunds\.csv"/);
  });
});

describe("readBatchFile: JSONL", () => {
  it("reads objects by line, skips blank lines, and turns bad lines into row issues", async () => {
    const rows = await rowsOf(readBatchFile(fixture("mixed.jsonl")));
    expect(rows.map((r) => r.line)).toEqual([1, 3, 4, 6, 7, 8, 9]);
    expect(rows[0]!.fields).toEqual({
      refundRequestId: "J1",
      prepayId: "9001",
      refundAmount: "1.00",
      refundReason: "a, b",
    });
    expect(rows[1]!.fields["refundAmount"]).toBe(1.5);
    expect(rows[2]!.issues?.[0]?.message).toMatch(/^not valid JSON/);
    expect(rows[3]!.issues).toEqual([
      { path: "", message: "must be a JSON object, one refund per line" },
    ]);
    expect(rows[6]!.fields["refundRequestId"]).toBe("J6");
    expect(rows[6]!.issues).toBeUndefined();
  });

  it("gives the same rows however the bytes are chunked", async () => {
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(fixture("mixed.jsonl"));
    const whole = await read(bytes, "jsonl");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          expect(await rowsOf(readBatchRows(chunked(bytes, cuts), "jsonl"))).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });
});
