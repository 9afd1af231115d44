/**
 * The stable codes of the library's typed errors and what each means on the two shells: the
 * HTTP status the API answers and the exit code `gatepay-refunds` ends with. One table, so
 * the HTTP API and the CLI cannot drift apart; both look a code up here and have no
 * per-class cases of their own. Pure data.
 *
 * The codes are public: HTTP error bodies carry them (`{ error: { code } }`) and a refused
 * over-refund's record keeps `OVER_REFUND` as its `lastError.code`. Never rename one.
 */

/**
 * Exit codes of `gatepay-refunds`. When each is used is tabled in `src/cli/output.ts` and in
 * README.md "Command line".
 */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  conflict: 3,
  overRefund: 4,
  /** A temporary failure: retry the same command (sysexits' EX_TEMPFAIL). */
  tempFail: 75,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** What one error code means to the HTTP API and to the CLI. */
export interface ErrorCodeMeaning {
  /** The HTTP status of an answer carrying this code (5xx: the API says only "internal error"). */
  readonly httpStatus: number;
  /** The exit code of a CLI command that ends with this error. */
  readonly exitCode: ExitCode;
}

/** Every stable error code, with its HTTP status and CLI exit code. */
export const ERROR_CODES = {
  /** The input is not a valid refund request (`ValidationError`); nothing was stored. */
  VALIDATION_ERROR: { httpStatus: 400, exitCode: EXIT_CODES.usage },
  /** The `refundRequestId` is taken by a different refund (`IdempotencyConflictError`). */
  IDEMPOTENCY_CONFLICT: { httpStatus: 409, exitCode: EXIT_CODES.conflict },
  /** The refund would exceed the order amount (`OverRefundError`); recorded, never sent. */
  OVER_REFUND: { httpStatus: 422, exitCode: EXIT_CODES.overRefund },
  /** No refund with this id (`RefundNotFoundError`). */
  NOT_FOUND: { httpStatus: 404, exitCode: EXIT_CODES.failure },
  /** Valid credentials that do not allow the action (`ForbiddenError`): a dashboard write without `ADMIN_TOKEN`. */
  FORBIDDEN: { httpStatus: 403, exitCode: EXIT_CODES.failure },
  /** Redis refused the credentials of `REDIS_URL` (`RedisAuthError`); retrying cannot help. */
  REDIS_AUTH_FAILED: { httpStatus: 500, exitCode: EXIT_CODES.usage },
  /** The environment is invalid (`ConfigError`): the operator's to fix, not the caller's. */
  CONFIG_INVALID: { httpStatus: 500, exitCode: EXIT_CODES.usage },
  /**
   * Redis did not confirm a write as durable in time (`DurabilityTimeoutError`): retry the
   * same idempotent request (HTTP answers with `Retry-After: 1`).
   */
  DURABILITY_TIMEOUT: { httpStatus: 503, exitCode: EXIT_CODES.tempFail },
  /** Redis is not fit to hold refunds (`RedisPostureError`: eviction, missing durability). */
  REDIS_POSTURE: { httpStatus: 500, exitCode: EXIT_CODES.usage },
  /**
   * `QUEUE_SHARDS` differs from the shard count stored by the deployment
   * (`ShardCountMismatchError`): starting would re-route live refunds; the operator's to fix.
   */
  SHARD_COUNT_MISMATCH: { httpStatus: 500, exitCode: EXIT_CODES.usage },
} as const satisfies Record<string, ErrorCodeMeaning>;

/** A key of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;
