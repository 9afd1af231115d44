/**
 * The one rule for a deployment's queue prefix, shared by every entry point: `QUEUE_PREFIX`
 * in config, `createRefundProducer({ prefix })`, `startRefundWorkers`, `RefundStore` and the
 * queues. Without it, `createRefundProducer({ prefix: "gatepay" })` wrote under `gatepay:`
 * while a worker with `QUEUE_PREFIX=gatepay` read `{gatepay}:`, and the refunds were never
 * picked up, silently (issue 16).
 *
 * Why the braces: every key one Lua script or MULTI touches must hash to one Redis Cluster
 * slot (DESIGN.md "Scale"), so the prefix carries a hash tag, BullMQ's documented way. A
 * prefix with no braces gets them around the whole value (`gatepay` → `{gatepay}`); one that
 * already has exactly one non-empty `{…}` tag is kept as is, so normalising is idempotent.
 * Anything else is refused: `:` (the key separator), spaces, glob characters, an empty or
 * unbalanced tag.
 */

import { CodedError } from "./errors.js";

/** Longest accepted prefix, in characters, before the braces are added. */
export const MAX_QUEUE_PREFIX_CHARS = 100;

const ALLOWED = /^[A-Za-z0-9_{}-]+$/;
const ONE_TAG = /^[\w-]*\{[\w-]+\}[\w-]*$/;

/**
 * The queue prefix is malformed. `message` says why; nothing was read or written. Code
 * `CONFIG_INVALID`: the prefix is deployment configuration, the operator's to fix.
 */
export class QueuePrefixError extends CodedError {
  override readonly name = "QueuePrefixError";
  override readonly code = "CONFIG_INVALID";
  /** What was given (a prefix is not a secret). */
  readonly prefix: unknown;

  constructor(prefix: unknown, reason: string) {
    super(`queue prefix ${JSON.stringify(prefix)} ${reason}`);
    this.prefix = prefix;
  }
}

/**
 * Why `prefix` is not acceptable, or `undefined` when it is. The reason reads after the
 * name of the field (`QUEUE_PREFIX must …`, `prefix must …`).
 */
export function queuePrefixProblem(prefix: unknown): string | undefined {
  if (typeof prefix !== "string") return "must be a string";
  if (prefix === "") return "must not be empty";
  if (prefix.length > MAX_QUEUE_PREFIX_CHARS) {
    return `must be at most ${MAX_QUEUE_PREFIX_CHARS} characters`;
  }
  if (!ALLOWED.test(prefix)) return "may contain only letters, digits, -, _, { and }";
  if (/[{}]/.test(prefix) && !ONE_TAG.test(prefix)) {
    return "must have no braces, or exactly one {…} hash tag with something inside";
  }
  return undefined;
}

/**
 * The prefix as every layer uses it: `gatepay` → `{gatepay}`, `{gatepay}` and
 * `app-{gatepay}` unchanged. Throws {@link QueuePrefixError} for a malformed prefix.
 */
export function normalizeQueuePrefix(prefix: unknown): string {
  const problem = queuePrefixProblem(prefix);
  if (problem !== undefined) throw new QueuePrefixError(prefix, problem);
  const s = prefix as string;
  return s.includes("{") ? s : `{${s}}`;
}
