/**
 * Prototype-pollution keys in untrusted JSON (issue 13 item 11): the parser, the JSONL
 * batch reader and `enqueue --input` (in process, no Redis: the input is refused first).
 */
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/output.js";
import { runCli } from "../../src/cli/program.js";
import { parseJsonInput } from "../../src/domain/json-input.js";
import { readBatchRows, type BatchRow } from "../../src/producer/batch/index.js";

const GOOD = '{"refundRequestId":"r1","prepayId":"9001","refundAmount":"1.00"}';

describe("parseJsonInput", () => {
  it("refuses __proto__, constructor and prototype keys at any depth, naming the path", () => {
    const cases: [string, string][] = [
      ['{"__proto__":{"refundAmount":"999"},"refundRequestId":"r1"}', "__proto__"],
      ['{"refundRequestId":"r1","constructor":{"prototype":{"x":1}}}', "constructor"],
      ['{"a":{"b":[1,{"prototype":2}]}}', "a.b[1].prototype"],
      ['[{"ok":1},{"__proto__":null}]', "[1].__proto__"],
    ];
    for (const [text, path] of cases) {
      const r = parseJsonInput(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.issue.path).toBe(path);
        expect(r.issue.message).toMatch(/^key not allowed/);
      }
    }
    // Nothing leaked onto Object.prototype while parsing.
    expect(({} as Record<string, unknown>)["refundAmount"]).toBeUndefined();
  });

  it("passes ordinary JSON through, keys named like the forbidden ones only as values", () => {
    expect(parseJsonInput(GOOD)).toEqual({ ok: true, value: JSON.parse(GOOD) });
    expect(parseJsonInput('{"refundReason":"__proto__ constructor"}').ok).toBe(true);
    expect(parseJsonInput("12")).toEqual({ ok: true, value: 12 });
  });

  it("reports a syntax error with path ''", () => {
    const r = parseJsonInput("{nope");
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issue).toMatchObject({
        path: "",
        message: expect.stringMatching(/^not valid JSON/),
      });
  });
});

describe("JSONL batch rows", () => {
  it("turn a row with a forbidden key into a row issue naming the key; other rows go on", async () => {
    const text = `${GOOD}\n{"__proto__":{"refundAmount":"5"},"refundRequestId":"r2","prepayId":"9001"}\n`;
    const rows: BatchRow[] = [];
    for await (const row of readBatchRows([Buffer.from(text)], "jsonl")) rows.push(row);
    expect(rows[0]!.issues).toBeUndefined();
    expect(rows[1]).toEqual({
      line: 2,
      fields: {},
      issues: [{ path: "__proto__", message: expect.stringMatching(/^key not allowed/) }],
    });
  });
});

describe("enqueue --input", () => {
  it("refuses a forbidden key with exit 2 and a line naming it, before connecting", async () => {
    const err: string[] = [];
    const io: CliIo = {
      env: { REDIS_URL: "redis://127.0.0.1:1" },
      out: () => undefined,
      err: (t) => err.push(t),
    };
    const input =
      '{"refundRequestId":"r1","prepayId":"9001","refundAmount":"1.00","constructor":{"prototype":{}}}';
    const code = await runCli(["node", "gatepay-refunds", "enqueue", "--input", input], io);
    expect(code).toBe(2);
    expect(err).toEqual([
      "--input: constructor: key not allowed (__proto__, constructor, prototype are refused in input)",
    ]);
  });
});
