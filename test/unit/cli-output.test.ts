import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { CliExit, EXIT_CODES, reportError, type CliIo } from "../../src/cli/output.js";
import { ConfigError } from "../../src/config.js";
import {
  IdempotencyConflictError,
  OverRefundError,
  RefundNotFoundError,
  ValidationError,
} from "../../src/domain/errors.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";

/** `reportError(err)`: the exit code and every line written to standard error. */
function report(err: unknown): { exitCode: number; stderr: string[]; stdout: string[] } {
  const stderr: string[] = [];
  const stdout: string[] = [];
  const io: CliIo = { env: {}, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
  return { exitCode: reportError(err, io), stderr, stdout };
}

const AT = "2025-01-01T12:00:00.000Z";
const existing: RefundRecord = {
  refundRequestId: "r-1",
  kind: "order",
  request: { kind: "order", refundRequestId: "r-1", prepayId: "7001", refundAmount: "10" },
  state: "rejected",
  attempts: 0,
  lastError: { code: "OVER_REFUND", message: "refund of 10 exceeds the order", at: AT },
  history: [{ state: "queued", at: AT, event: "created" }],
  createdAt: AT,
  updatedAt: AT,
  submit: { mayExist: false, generation: 0 },
  version: 1,
};

describe("reportError", () => {
  it("ends a CliExit with its own code and message", () => {
    expect(report(new CliExit(EXIT_CODES.usage, "bad flag"))).toEqual({
      exitCode: 2,
      stderr: ["bad flag"],
      stdout: [],
    });
    expect(report(new CliExit(EXIT_CODES.ok)).stderr).toEqual([]);
  });

  it("leaves commander's messages to commander: help exits 0, usage 2", () => {
    expect(report(new CommanderError(0, "commander.helpDisplayed", "(help)"))).toEqual({
      exitCode: 0,
      stderr: [],
      stdout: [],
    });
    expect(report(new CommanderError(1, "commander.unknownOption", "x")).exitCode).toBe(2);
  });

  it("writes one `field: reason` line per validation problem, exit 2", () => {
    const err = new ValidationError([
      { path: "refundAmount", message: "must be a decimal" },
      { path: "", message: "must be an object" },
    ]);
    expect(report(err)).toMatchObject({
      exitCode: 2,
      stderr: ["refundAmount: must be a decimal\nmust be an object"],
    });
  });

  it("maps the other typed errors through their codes", () => {
    expect(report(new IdempotencyConflictError(existing, ["refundAmount"]))).toMatchObject({
      exitCode: 3,
      stderr: [expect.stringContaining('refundRequestId "r-1" is already used')],
    });
    expect(report(new OverRefundError(existing))).toMatchObject({
      exitCode: 4,
      stderr: ["over-refund: refund of 10 exceeds the order"],
    });
    expect(report(new RefundNotFoundError("r-9"))).toMatchObject({
      exitCode: 1,
      stderr: ['no refund with refundRequestId "r-9"'],
    });
    const config = new ConfigError([
      { variables: ["HTTP_PORT"], message: 'HTTP_PORT: must be an integer (got "x")' },
      { variables: ["API_TOKEN"], message: "API_TOKEN: too short (value hidden)" },
    ]);
    expect(report(config)).toMatchObject({
      exitCode: 2,
      stderr: ['HTTP_PORT: must be an integer (got "x")\nAPI_TOKEN: too short (value hidden)'],
    });
  });

  it("says `error: <message>` and exits 1 for anything else", () => {
    expect(report(new Error("boom"))).toMatchObject({ exitCode: 1, stderr: ["error: boom"] });
    expect(report("plain")).toMatchObject({ exitCode: 1, stderr: ["error: plain"] });
  });
});
