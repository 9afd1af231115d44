/**
 * The bearer-token check of protected routes (the refund API, the dashboard). Tokens are
 * compared in constant time over SHA-256 digests, so neither content nor length leaks
 * through timing; an unset token closes the routes (503) rather than opening them.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { errorBody } from "./error-body.js";

/** An `onRequest` hook that answers (and so ends) a request it refuses. */
export type RequestGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * The `onRequest` guard of protected routes. `Authorization: Bearer <API_TOKEN>`; the
 * dashboard (`browser`) also takes HTTP Basic with the token as password, which browsers
 * remember and send with the page's own API calls. Unset token: 503; missing or wrong: 401
 * with a `WWW-Authenticate` challenge.
 */
export function tokenGuard(
  token: { reveal(): string } | undefined,
  browser: boolean,
  name = "API_TOKEN",
): RequestGuard {
  const expected = token ? digest(token.reveal()) : undefined;
  const challenges = browser
    ? ['Basic realm="gatepay-refunds", charset="UTF-8"', 'Bearer realm="gatepay-refunds"']
    : ['Bearer realm="gatepay-refunds"'];
  return async (request, reply) => {
    if (!expected) {
      await reply
        .code(503)
        .send(
          errorBody(
            "API_TOKEN_NOT_CONFIGURED",
            `${name} is not configured; protected routes are disabled`,
          ),
        );
      return;
    }
    const presented = presentedToken(request.headers.authorization, browser);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return;
    await reply
      .code(401)
      .header("WWW-Authenticate", challenges)
      .send(
        errorBody(
          "UNAUTHORIZED",
          presented === undefined
            ? `missing bearer token (Authorization: Bearer <${name}>)`
            : "invalid token",
        ),
      );
  };
}

/**
 * The token in an `Authorization` header: `Bearer <token>`, or with `allowBasic` the
 * password of `Basic <base64(user:password)>`; `undefined` for anything else.
 */
export function presentedToken(
  header: string | undefined,
  allowBasic: boolean,
): string | undefined {
  if (!header) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === "bearer") return value;
  if (scheme === "basic" && allowBasic) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

// Equal-length digests: timingSafeEqual needs equal lengths, and the token's length stays
// hidden too.
/** SHA-256 of `s`, for constant-time comparison with `timingSafeEqual`. */
export function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
