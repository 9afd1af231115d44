/**
 * Parsing untrusted JSON input (JSONL batch rows, `enqueue --input`): `JSON.parse`, then
 * a refusal of the keys that reach an object's prototype machinery.
 *
 * `JSON.parse` itself makes `"__proto__"` an own property, harmlessly; the danger is
 * what comes after: a spread, `Object.assign`, a merge or a validator that copies the
 * object turns an own `__proto__` into the copy's prototype, and a `constructor` or
 * `prototype` key shadows what code expects to find there. No refund field has any of
 * these names, so an input that carries one (at any depth) is refused with the key's
 * path, and never reaches the object validation reads.
 */
import type { FieldIssue } from "./errors.js";

/** Keys refused at any depth of a JSON input. */
export const FORBIDDEN_JSON_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];

const FORBIDDEN: ReadonlySet<string> = new Set(FORBIDDEN_JSON_KEYS);

/** A parsed input, or why it was refused. */
export type JsonInputResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issue: FieldIssue };

/**
 * Parses `text` as JSON and refuses any object key named `__proto__`, `constructor` or
 * `prototype`, however deep.
 *
 * @returns the value, or an issue: path `""` and `not valid JSON (…)` for a syntax
 *   error; the key's path (`meta.__proto__`, `items[2].constructor`) for a refused key.
 */
export function parseJsonInput(text: string): JsonInputResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, issue: { path: "", message: `not valid JSON (${reason})` } };
  }
  const path = forbiddenKeyPath(value, "");
  if (path !== undefined) {
    return {
      ok: false,
      issue: {
        path,
        message: `key not allowed (${FORBIDDEN_JSON_KEYS.join(", ")} are refused in input)`,
      },
    };
  }
  return { ok: true, value };
}

/** The path of the first forbidden key in `value`, depth first; `undefined` if none. */
function forbiddenKeyPath(value: unknown, at: string): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = forbiddenKeyPath(value[i], `${at}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const path = at === "" ? key : `${at}.${key}`;
    if (FORBIDDEN.has(key)) return path;
    const found = forbiddenKeyPath((value as Record<string, unknown>)[key], path);
    if (found !== undefined) return found;
  }
  return undefined;
}
