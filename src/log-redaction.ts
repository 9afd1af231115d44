/**
 * What src/logger.ts removes from a log line before it is written: secret-bearing keys
 * at any depth, found by one walk over the logged object.
 *
 * It replaced pino's path redaction (51 paths, most starting with a wildcard): pino
 * runs a wildcard path set over every value of every line and of every child's bindings,
 * cloning as it goes, which cost more CPU per refund than any other part of logging.
 * This walk visits each key once, compares it with a set, and copies only what it
 * changes: a line without secrets is written as it was given, with nothing allocated.
 *
 * What goes, wherever it sits (not only the two levels below the logged object that the
 * paths covered):
 * - the value of any key in {@link SECRET_KEYS} (the GatePay secret, request signatures,
 *   API tokens, passwords, authorization headers);
 * - inside any `headers` object, also `cookie` and `set-cookie`, and the header names
 *   above in any letter case;
 * - the credentials of a URL under {@link URL_KEYS} (`redisUrl`): the host stays;
 * - an `Error` anywhere is serialised (pino's standard error serializer) and walked the
 *   same way, minus every `args` key below it: ioredis attaches the failed command's
 *   arguments, and those of a failed `AUTH` are the password.
 * An object with a `toJSON` (a {@link Secret}, a Date) is left to it: a Secret writes
 * `"[redacted]"`. Past {@link MAX_DEPTH} levels, or {@link MAX_NODES} objects in one
 * line, what is left unvisited is written as `"[redacted]"`: nothing unchecked is written.
 */
import { pino } from "pino";
import { redactUrlCredentials } from "./secret.js";

/** What secret-bearing values are replaced with. */
export const REDACTED = "[redacted]";

/** Keys whose value never reaches a log line, at any depth (exact spelling). */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  "secretKey",
  "secret",
  "signature",
  "apiToken",
  "token",
  "password",
  "authorization",
  "Authorization",
  "x-gatepay-signature",
  "X-GatePay-Signature",
]);

/** Header names removed from any `headers` object, compared in lower case. */
const SECRET_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "x-gatepay-signature",
  "cookie",
  "set-cookie",
  "proxy-authorization",
]);

/** Keys whose value is a URL that may carry credentials; only the credentials go. */
export const URL_KEYS: ReadonlySet<string> = new Set(["redisUrl"]);

/** Levels below the logged object that are walked; deeper objects are redacted whole. */
export const MAX_DEPTH = 12;

/** Objects visited per line at most; the rest are redacted whole. */
export const MAX_NODES = 2_000;

/** A walk's budget: objects it may still visit. */
interface Walk {
  nodes: number;
}

/**
 * `value` with every secret removed (see the module comment). Returns `value` itself
 * when nothing had to go; never changes it.
 */
export function redactForLog(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return walk(value, 0, false, false, { nodes: MAX_NODES });
}

/**
 * pino's standard error serializer with the secrets removed and, at any depth below the
 * error, every `args` key dropped (`command.name` of an ioredis error stays).
 */
export function redactError(err: Error): unknown {
  return walkError(err, 0, { nodes: MAX_NODES });
}

function walkError(err: Error, depth: number, w: Walk): unknown {
  return walk(pino.stdSerializers.err(err), depth, false, true, w);
}

function walk(
  value: unknown,
  depth: number,
  inHeaders: boolean,
  inError: boolean,
  w: Walk,
): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH || --w.nodes < 0) return REDACTED;
  if (value instanceof Error) return walkError(value, depth, w);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = walk(v, depth + 1, false, inError, w);
      if (r !== v) {
        out ??= value.slice();
        out[i] = r;
      }
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined) continue;
    let r: unknown;
    if (inError && key === "args") r = undefined;
    else if (SECRET_KEYS.has(key)) r = REDACTED;
    else if (inHeaders && SECRET_HEADERS.has(key.toLowerCase())) r = REDACTED;
    else if (URL_KEYS.has(key)) r = typeof v === "string" ? redactUrlCredentials(v) : REDACTED;
    else r = walk(v, depth + 1, key === "headers", inError, w);
    if (r !== v) {
      out ??= { ...obj };
      if (r === undefined) delete out[key];
      else out[key] = r;
    }
  }
  return out ?? value;
}
