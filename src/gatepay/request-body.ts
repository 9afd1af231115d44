/** Request bodies: validated and serialised once (the bytes that are signed and sent). */
import type { z } from "zod";
import { parseFast } from "./fast-shapes.js";

/**
 * Validates a request and serialises it once; field order follows the schema. The two
 * refund requests are checked by hand (fast-shapes.ts); zod words every refusal.
 */
export function serializeRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): string {
  const parsed = parseFast(schema, value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const path = i.path.map(String).join(".") || "(root)";
      return i.message.startsWith("must ") ? `${path} ${i.message}` : path;
    });
    throw new TypeError(`invalid ${what}: ${[...new Set(problems)].join(", ")}`);
  }
  return JSON.stringify(parsed.data);
}

/** @throws TypeError unless `refundRequestId` is a string of 1 to 32 characters. */
export function requireRefundRequestId(refundRequestId: string): void {
  if (
    typeof refundRequestId !== "string" ||
    refundRequestId.length < 1 ||
    refundRequestId.length > 32
  ) {
    throw new TypeError("refundRequestId must be a string of 1 to 32 characters");
  }
}
