/**
 * One line per backoff step, not per attempt, and no command arguments in any error
 * line (issue 13 item 8): the reporter with a hand-driven clock, the logger's serializer.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { createRedisProblemReporter } from "../../src/store/redis-problem-reporter.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n"))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: "debug", destination }) };
}

/** An ioredis-like refusal: the failed AUTH and its password ride on the error. */
function authError(password: string): Error {
  const err = new Error("WRONGPASS invalid username-password pair or user is disabled.");
  Object.assign(err, { command: { name: "auth", args: [password] } });
  return err;
}

describe("createRedisProblemReporter", () => {
  it("writes the first error, then one line per doubling step with the count held back", async () => {
    const { lines, logger } = capture();
    let t = 0;
    const r = createRedisProblemReporter(logger, { now: () => t, firstIntervalMs: 1000 });
    // 100 attempts 100 ms apart (10 s): steps at 0, 1 s, 3 s, 7 s.
    for (let i = 0; i < 100; i++, t += 100) r.report(authError("pw-123456"));
    r.recovered();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => l["msg"])).toEqual([
      "Redis connection problem",
      "Redis connection problem (continues)",
      "Redis connection problem (continues)",
      "Redis connection problem (continues)",
      "Redis connection works again",
    ]);
    expect(lines.map((l) => l["repeated"])).toEqual([undefined, 9, 19, 39, 29]);
    expect(lines[0]!["level"]).toBe(50);
    expect(JSON.stringify(lines)).not.toContain("pw-123456");
  });
});

describe("the logger's error serializer", () => {
  it("drops command arguments (an AUTH password) at any depth, keeping the command name", async () => {
    const { lines, logger } = capture();
    const outer = new Error("queue failed", { cause: authError("pw-abcdef") });
    Object.assign(outer, { args: ["SET", "k", "pw-abcdef"] });
    logger.error({ err: outer }, "x");
    logger.warn({ err: authError("pw-abcdef") }, "y");
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    expect(text).not.toContain("pw-abcdef");
    expect(lines[1]!["err"]).toMatchObject({ command: { name: "auth" }, message: /^WRONGPASS/ });
  });
});
