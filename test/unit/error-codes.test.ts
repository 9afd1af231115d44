import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.js";
import { DurabilityTimeoutError, RedisPostureError } from "../../src/domain/durability-errors.js";
import { ERROR_CODES, EXIT_CODES } from "../../src/domain/error-codes.js";
import {
  CodedError,
  IdempotencyConflictError,
  OverRefundError,
  RefundNotFoundError,
  ValidationError,
  ShardCountMismatchError,
} from "../../src/domain/errors.js";
import { ForbiddenError } from "../../src/domain/forbidden-error.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { RedisAuthError } from "../../src/store/redis-auth-error.js";

const AT = "2025-01-01T12:00:00.000Z";

function record(extra: Partial<RefundRecord> = {}): RefundRecord {
  return {
    refundRequestId: "r-1",
    kind: "order",
    request: { kind: "order", refundRequestId: "r-1", prepayId: "7001", refundAmount: "10" },
    state: "queued",
    attempts: 0,
    history: [{ state: "queued", at: AT, event: "created" }],
    createdAt: AT,
    updatedAt: AT,
    submit: { mayExist: false, generation: 0 },
    version: 1,
    ...extra,
  };
}

const overRefunded = record({
  state: "rejected",
  lastError: { code: "OVER_REFUND", message: "refund of 10 exceeds what is left", at: AT },
});

/** Every typed error, its code, and the HTTP status and exit code the README promises. */
const CASES: { err: CodedError; code: string; httpStatus: number; exitCode: number }[] = [
  {
    err: new ValidationError([{ path: "refundAmount", message: "must be a decimal" }]),
    code: "VALIDATION_ERROR",
    httpStatus: 400,
    exitCode: 2,
  },
  {
    err: new IdempotencyConflictError(record(), ["refundAmount"]),
    code: "IDEMPOTENCY_CONFLICT",
    httpStatus: 409,
    exitCode: 3,
  },
  { err: new OverRefundError(overRefunded), code: "OVER_REFUND", httpStatus: 422, exitCode: 4 },
  { err: new RefundNotFoundError("r-9"), code: "NOT_FOUND", httpStatus: 404, exitCode: 1 },
  { err: new ForbiddenError("read-only"), code: "FORBIDDEN", httpStatus: 403, exitCode: 1 },
  {
    err: new RedisAuthError("redis://:pw@127.0.0.1:6379", "WRONGPASS"),
    code: "REDIS_AUTH_FAILED",
    httpStatus: 500,
    exitCode: 2,
  },
  {
    err: new ConfigError([{ variables: ["HTTP_PORT"], message: "HTTP_PORT: bad" }]),
    code: "CONFIG_INVALID",
    httpStatus: 500,
    exitCode: 2,
  },
  {
    err: new DurabilityTimeoutError("replica", "WAIT answered 0 after 1000 ms"),
    code: "DURABILITY_TIMEOUT",
    httpStatus: 503,
    exitCode: 75,
  },
  {
    err: new RedisPostureError(["maxmemory-policy is allkeys-lru"]),
    code: "REDIS_POSTURE",
    httpStatus: 500,
    exitCode: 2,
  },
  {
    err: new ShardCountMismatchError(4, 1),
    code: "SHARD_COUNT_MISMATCH",
    httpStatus: 500,
    exitCode: 2,
  },
];

describe("stable error codes", () => {
  it.each(CASES)("$code: HTTP $httpStatus, exit $exitCode", (c) => {
    expect(c.err).toBeInstanceOf(CodedError);
    expect(c.err).toBeInstanceOf(Error);
    expect(c.err.code).toBe(c.code);
    expect(ERROR_CODES[c.err.code]).toEqual({ httpStatus: c.httpStatus, exitCode: c.exitCode });
  });

  it("has a row for every typed error and nothing else", () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual(CASES.map((c) => c.code).sort());
  });

  it("maps to exit codes the CLI knows", () => {
    const known: number[] = Object.values(EXIT_CODES);
    for (const { exitCode } of Object.values(ERROR_CODES)) expect(known).toContain(exitCode);
  });

  it("carries the details the shells show: issues of fields, the stored over-refund", () => {
    const [validation, conflict, over, notFound] = CASES.map((c) => c.err);
    expect(validation?.issues).toEqual([{ path: "refundAmount", message: "must be a decimal" }]);
    expect(conflict?.issues).toEqual([
      {
        path: "refundAmount",
        message: "differs from the stored request with this refundRequestId",
      },
    ]);
    expect(conflict?.record).toBeUndefined();
    expect(over?.record).toBe(overRefunded);
    expect(over?.message).toBe("refund of 10 exceeds what is left");
    expect(notFound?.issues).toBeUndefined();
  });

  it("keeps the optional details off errors that have none (no undefined own fields)", () => {
    const err = new RefundNotFoundError("r-9");
    expect(Object.keys(err).sort()).toEqual(["code", "name", "refundRequestId"]);
  });
});
