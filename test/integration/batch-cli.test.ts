/**
 * `gatepay-refunds batch` and `batch-status` through commander, with the real Redis, the
 * sandbox and in-process workers; standard output and error are captured through the
 * CLI's io seam.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  registerBatchCommands,
  type BatchCommandDeps,
  type ProgressOutput,
} from "../../src/cli/batch-command.js";
import { buildProgram, type RegisterCommand } from "../../src/cli/program.js";
import { reportError } from "../../src/cli/output.js";
import { redisUrl } from "../helpers/redis.js";
import { startPipeline, type Pipeline } from "../helpers/pipeline.js";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/batch/${name}`, import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "batch-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI the way src/cli.ts does, with this file's commands registered. */
async function cli(p: Pipeline, args: string[], progress?: ProgressOutput): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: BatchCommandDeps = {
    env: { REDIS_URL: redisUrl(), QUEUE_PREFIX: p.prefix },
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    ...(progress === undefined ? {} : { progress }),
  };
  const program = buildProgram(io);
  // Until program.ts lists the batch commands, register them here.
  if (!program.commands.some((c) => c.name() === "batch")) registerBatchCommands(program, io);
  let code: number;
  try {
    await program.parseAsync(["node", "gatepay-refunds", ...args]);
    code = 0;
  } catch (e) {
    code = reportError(e, io);
  }
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function pipeline(name: string, workers = true): Promise<Pipeline> {
  const p = await startPipeline({ name, workers, sandbox: { settleDelayMs: 20 } });
  p.sandbox.seedOrders([
    { prepayId: "9001", amount: "100", currency: "USDT", kind: "order" },
    { prepayId: "9002", amount: "100", currency: "USDT", kind: "order" },
  ]);
  return p;
}

async function cleanFile(name: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    'refundRequestId,prepayId,refundAmount,refundReason\nC1,9001,1.00,ok\nC2,9002,2.5,"a, b"\n',
  );
  return file;
}

describe("gatepay-refunds batch", () => {
  it("registers like every other command (fits program.ts's CLI_COMMANDS)", () => {
    const register: RegisterCommand = registerBatchCommands;
    expect(register).toBe(registerBatchCommands);
  });

  it("waits with plain progress lines, prints a summary, writes the report, exits 0", async () => {
    const p = await pipeline("cli-batch-ok");
    const file = await cleanFile("ok.csv");
    const report = join(dir, "ok-report.csv");
    const r = await cli(p, ["batch", file, "--batch-id", "ok", "--wait", "--report", report]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`batch ok: 2 row(s) from ${file}`);
    expect(r.out).toContain("valid 2: created 2, already known 0");
    expect(r.out).toMatch(/all final after \d+\.\d s: 2 row\(s\): succeeded 2/);
    expect(r.out).toContain(`report: ${report}`);
    // Not a terminal: plain lines, the last one with every refund final.
    expect(r.err).toMatch(/batch ok: 2\/2 final \(succeeded 2\), \d+\.\d s$/);
    expect(r.err).not.toContain("\r");
    const lines = (await readFile(report, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^3,C2,created,succeeded,ok,order,9002,2\.5,/);

    // The same file again: nothing new, reported as already known, still exit 0.
    const again = await cli(p, ["batch", file, "--batch-id", "ok", "--wait"]);
    expect(again.code).toBe(0);
    expect(again.out).toContain("valid 2: created 0, already known 2 (succeeded 2)");
    expect(p.sandbox.ledger.refunds).toHaveLength(2);
  });

  it("redraws one progress line on a terminal", async () => {
    const p = await pipeline("cli-batch-tty");
    const file = await cleanFile("tty.csv");
    const drawn: string[] = [];
    const tty: ProgressOutput = { isTTY: true, columns: 120, write: (t) => drawn.push(t) };
    const r = await cli(p, ["batch", file, "--batch-id", "tty", "--wait"], tty);
    expect(r.code).toBe(0);
    const text = drawn.join("");
    expect(text.startsWith("\r[")).toBe(true);
    // Each redraw ends by clearing the rest of the line (ESC [K); the last one, a newline.
    const ESC = String.fromCharCode(27);
    expect(text.endsWith(`${ESC}[K\n`)).toBe(true);
    expect(text).toMatch(/\r\[█{20}\] 2\/2 final · succeeded 2 · \d+\.\d s.\[K\n$/);
    expect(r.err).toBe("");
  });

  it("lists bad rows with line, field and reason and exits 1", async () => {
    const p = await pipeline("cli-batch-bad");
    const report = join(dir, "bad-report.json");
    const r = await cli(p, [
      "batch",
      fixture("mixed.csv"),
      "--batch-id",
      "bad",
      "--wait",
      "--report",
      report,
    ]);
    expect(r.code).toBe(1);
    const errLines = r.err.split("\n");
    expect(errLines.filter((l) => l.startsWith("line "))).toEqual([
      expect.stringMatching(/^line 6 \(M3\): refundAmount: /) as string,
      'line 9 (M1): refundRequestId: "M1" is already on line 2',
      "line 10 (M4): prepayId: is required",
      expect.stringMatching(/^line 12 \(M6\): has 5 cells but the header has 4 columns/) as string,
    ]);
    expect(r.err).toMatch(/not every row succeeded: invalid 4$/);
    expect(r.out).toContain("invalid 3, duplicates 1");
    expect(r.out).toMatch(/8 row\(s\): succeeded 4, invalid 4/);
    const rows = JSON.parse(await readFile(report, "utf8")) as unknown[];
    expect(rows).toHaveLength(8);
  });

  it("caps the listed bad rows and points at the report", async () => {
    const p = await pipeline("cli-batch-cap", false);
    const r = await cli(p, ["batch", fixture("mixed.csv"), "--max-listed", "1"]);
    expect(r.code).toBe(1);
    expect(r.err.split("\n").filter((l) => l.startsWith("line "))).toHaveLength(1);
    expect(r.err).toContain("… and 3 more bad row(s) (use --report to see all)");
    expect(r.err).toMatch(/4 row\(s\) will not succeed/);
  });

  it("refuses the whole file with --strict: exit 2, nothing enqueued", async () => {
    const p = await pipeline("cli-batch-strict", false);
    const r = await cli(p, ["batch", fixture("mixed.csv"), "--batch-id", "s", "--strict"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      "refused the whole file (strict): 3 invalid and 1 duplicate row(s) of 8; nothing was enqueued",
    );
    expect(r.out).toBe("");
    expect(await p.producer.getRefund("M1")).toBeNull();
  });

  it("exits 2 naming the line for a file it cannot read as a whole", async () => {
    const p = await pipeline("cli-batch-file", false);
    const header = await cli(p, ["batch", fixture("missing-header.csv")]);
    expect(header.code).toBe(2);
    expect(header.err).toMatch(/missing-header\.csv: line 1: no header row/);

    const enc = await cli(p, ["batch", fixture("bad-encoding.csv"), "--batch-id", "enc"]);
    expect(enc.code).toBe(2);
    expect(enc.err).toContain("bad-encoding.csv: line 4: not valid UTF-8 (byte 14 of the line)");
    expect(enc.err).toContain(
      "the 2 row(s) read before it were enqueued in batch enc; fix the file and run it " +
        "again (--batch-id enc)",
    );
  });

  it("refuses a --report path that is the input file or cannot be written, before enqueueing", async () => {
    const p = await pipeline("cli-batch-report-path", false);
    const file = await cleanFile("report-path.csv");
    const before = await readFile(file, "utf8");
    const link = join(dir, "report-path-link.csv");
    await symlink(file, link);
    const cases: [string, RegExp][] = [
      [file, /^--report: ".*report-path\.csv" is the batch file itself/],
      [link, /^--report: ".*report-path-link\.csv" is the batch file itself/],
      [join(dir, "no-such-dir", "r.csv"), /^--report: cannot write ".*r\.csv" \(ENOENT in /],
      [join(dir, "is-a-dir.csv"), /^--report: ".*is-a-dir\.csv" is a directory/],
    ];
    await mkdir(join(dir, "is-a-dir.csv"));
    for (const [report, message] of cases) {
      const r = await cli(p, ["batch", file, "--wait", "--report", report]);
      expect(r.code, report).toBe(2);
      expect(r.err, report).toMatch(message);
    }
    expect(await readFile(file, "utf8")).toBe(before);
    expect(await p.producer.getRefund("C1")).toBeNull();
    expect((await readdir(dir)).filter((n) => n.endsWith(".probe"))).toEqual([]);
  });

  it("checks flags before touching anything", async () => {
    const p = await pipeline("cli-batch-flags", false);
    const report = await cli(p, ["batch", fixture("mixed.csv"), "--report", "out.txt"]);
    expect(report.code).toBe(2);
    expect(report.err).toMatch(/^--report: cannot tell the report format of "out\.txt"/);
    const timeout = await cli(p, ["batch", fixture("mixed.csv"), "--timeout", "5"]);
    expect(timeout.code).toBe(2);
    expect(timeout.err).toBe("--timeout needs --wait");
    const id = await cli(p, ["batch", fixture("mixed.csv"), "--batch-id", "a:b"]);
    expect(id.code).toBe(2);
    expect(id.err).toMatch(/^batchId: must be 1-64 characters/);
    expect(await p.producer.getRefund("M1")).toBeNull();
  });

  it("gives up waiting at --timeout with exit 1, the batch going on", async () => {
    const p = await pipeline("cli-batch-timeout", false);
    const file = await cleanFile("timeout.csv");
    const r = await cli(p, ["batch", file, "--batch-id", "slow", "--wait", "--timeout", "0.3"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "timed out: stopped waiting; the batch goes on (gatepay-refunds batch-status slow --wait)",
    );
    expect(r.out).toMatch(/not all final after \d+\.\d s: 2 row\(s\): queued 2/);
  });

  it("prints one JSON document with --json", async () => {
    const p = await pipeline("cli-batch-json");
    const file = await cleanFile("json.csv");
    const r = await cli(p, ["batch", file, "--batch-id", "j", "--wait", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(doc).toMatchObject({
      run: { batchId: "j", rows: 2, created: 2 },
      progress: { done: true, total: 2, final: 2 },
      summary: { rows: 2, byState: { succeeded: 2 }, allSucceeded: true },
    });
    expect(doc["run"]).not.toHaveProperty("journalPath");
  });
});

describe("gatepay-refunds batch-status", () => {
  it("shows the file, row counts and refunds by state; --json; unknown ids exit 1", async () => {
    const p = await pipeline("cli-status");
    const file = await cleanFile("status.csv");
    expect((await cli(p, ["batch", file, "--batch-id", "st", "--wait"])).code).toBe(0);

    const text = await cli(p, ["batch-status", "st"]);
    expect(text.code).toBe(0);
    expect(text.out).toContain("batch st");
    expect(text.out).toContain(`file      ${file} (csv)`);
    expect(text.out).toMatch(/runs 1, last /);
    expect(text.out).toContain("status    enqueued");
    expect(text.out).toContain("rows      2: valid 2 (created 2, already known 0), invalid 0");
    expect(text.out).toContain("refunds   2, final 2: succeeded 2");

    const json = await cli(p, ["batch-status", "st", "--json"]);
    expect(JSON.parse(json.out)).toMatchObject({
      batchId: "st",
      total: 2,
      final: 2,
      counts: { total: 2, succeeded: 2 },
      meta: { rows: 2, runs: 1, status: "enqueued" },
    });

    const waited = await cli(p, ["batch-status", "st", "--wait"]);
    expect(waited.code).toBe(0);

    const unknown = await cli(p, ["batch-status", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('no batch with id "nope"');
  });

  it("exits 1 after --wait when a refund of the batch did not succeed", async () => {
    const p = await pipeline("cli-status-fail");
    const file = join(dir, "fail.csv");
    await writeFile(file, "refundRequestId,prepayId,refundAmount\nF1,9001,1\nF2,404,1\n");
    expect((await cli(p, ["batch", file, "--batch-id", "f"])).code).toBe(0);
    const r = await cli(p, ["batch-status", "f", "--wait"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not every refund succeeded: 1 did not, 0 bad row\(s\)$/);
    expect(r.out).toContain("refunds   2, final 2: succeeded 1, rejected 1");
  });
});
