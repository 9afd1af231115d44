/**
 * The program's own conventions, run in process (no Redis: each case ends before a
 * command connects): `--version`, and `enqueue`'s `--input` / `--json` split.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/output.js";
import { packageVersion, runCli } from "../../src/cli/program.js";

/** Runs `gatepay-refunds <args>` in process; Redis points at a closed port. */
async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { REDIS_URL: "redis://127.0.0.1:1" },
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  };
  const code = await runCli(["node", "gatepay-refunds", ...args], io);
  return { code, out, err };
}

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("gatepay-refunds --version", () => {
  it("prints package.json's version and exits 0", async () => {
    expect(packageVersion()).toBe(pkg.version);
    for (const flag of ["--version", "-V"]) {
      expect(await run([flag])).toEqual({ code: 0, out: [pkg.version], err: [] });
    }
  });
});

describe("gatepay-refunds enqueue: --input and --json", () => {
  it("refuses the old `--json '{…}'` with a message naming --input, exit 2", async () => {
    const res = await run(["enqueue", "--json", '{"refundRequestId":"x"}']);
    expect(res.code).toBe(2);
    expect(res.out).toEqual([]);
    expect(res.err.join("\n")).toMatch(/^--json no longer takes the request: .*--input/);
  });

  it("refuses stray arguments, --input with field flags, and --input that is not JSON", async () => {
    const stray = await run(["enqueue", "oops"]);
    expect(stray).toMatchObject({ code: 2, err: ["enqueue takes no arguments (got 'oops')"] });
    const both = await run(["enqueue", "--input", "{}", "--prepay-id", "1"]);
    expect(both).toMatchObject({
      code: 2,
      err: ["use either --input or the field flags, not both"],
    });
    const bad = await run(["enqueue", "--input", "{nope", "--json"]);
    expect(bad.code).toBe(2);
    expect(bad.err.join("\n")).toMatch(/^--input: not valid JSON \(/);
  });

  it("lists --input and --json in its help", async () => {
    const help = await run(["enqueue", "--help"]);
    expect(help.code).toBe(0);
    const text = help.out.join("\n");
    expect(text).toMatch(/--input <object>\s+the whole request as one JSON object/);
    expect(text).toMatch(/--json\s+print the refund record as JSON/);
  });
});
