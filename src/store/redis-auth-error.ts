/**
 * Redis refused the credentials of `REDIS_URL` (WRONGPASS, NOAUTH): retrying cannot
 * help, so a command stops at once with one line. Code `REDIS_AUTH_FAILED` (exit 2: the
 * operator's configuration). The message names the server without its credentials and
 * never carries the password ioredis attaches to the failed `AUTH` command.
 */
import { CodedError } from "../domain/errors.js";
import { redactUrlCredentials } from "../secret.js";

/** The Redis server refused the user or password of `REDIS_URL`. */
export class RedisAuthError extends CodedError {
  override readonly name = "RedisAuthError";
  override readonly code = "REDIS_AUTH_FAILED";

  /**
   * @param url the Redis URL (its credentials are removed from the message).
   * @param reply Redis's error word, e.g. `WRONGPASS` or `NOAUTH`.
   */
  constructor(url: string, reply: string) {
    super(
      `Redis at ${redactUrlCredentials(url)} refused the credentials of REDIS_URL (${reply}): check its user and password`,
    );
  }
}

/** The error word of an authentication refusal, or `undefined` for any other error. */
export function redisAuthFailure(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : "";
  const m = /^(WRONGPASS|NOAUTH|NOPERM)\b/.exec(message);
  if (m) return m[1];
  // Redis < 6 and some proxies.
  if (/^ERR (invalid password|AUTH <password> called without any password)/i.test(message)) {
    return "ERR invalid password";
  }
  return undefined;
}
