/**
 * A string that must not leak: the GatePay Payment API Secret, the HTTP API token.
 *
 * The value lives in a `#private` field, so `JSON.stringify`, `util.inspect`,
 * `console.log`, template literals, pino and structured clones of a config object all
 * see `"[redacted]"`; only an explicit {@link Secret.reveal} call returns it. Signing
 * code calls `reveal()` at the last moment and never stores the result elsewhere.
 */
import { inspect } from "node:util";

const REDACTED = "[redacted]";

/** Holds a secret string; every implicit conversion yields `"[redacted]"`. */
export class Secret {
  readonly #value: string;

  /** @param value the secret text; kept only in a private field. */
  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The secret text. Call it where the secret is used, never to log or store it. */
  reveal(): string {
    return this.#value;
  }

  /** Always `"[redacted]"`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `"[redacted]"`, so `JSON.stringify` (and pino) never see the value. */
  toJSON(): string {
    return REDACTED;
  }

  /** Always `"[redacted]"`, for `util.inspect` and `console.log`. */
  [inspect.custom](): string {
    return REDACTED;
  }

  /** Always `"[redacted]"`, for template literals and string concatenation. */
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

/**
 * `url` with any userinfo (`user:password@`) replaced by `***`, for logs and error
 * messages: `redis://:hunter2@host:6379/0` → `redis://***@host:6379/0`. Works on strings
 * that do not parse as URLs too: everything up to the last `@` before the path is masked.
 */
export function redactUrlCredentials(url: string): string {
  const schemeEnd = url.indexOf("://");
  const start = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const at = url.lastIndexOf("@");
  if (at < start) return url;
  return `${url.slice(0, start)}***${url.slice(at)}`;
}
