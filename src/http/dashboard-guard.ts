/**
 * Who may do what on the queue dashboard. Reading (the page, its assets, the queue and
 * job listings: GET and HEAD) takes `API_TOKEN` or `ADMIN_TOKEN`, as a bearer token or,
 * for browsers, as the password of HTTP Basic. Writing (retry, promote, clean, pause,
 * empty, obliterate, remove: every other method) takes `ADMIN_TOKEN`, and only as a
 * bearer token: a browser replays remembered Basic credentials on requests any web page
 * makes, so a cross-site form could otherwise clean a queue (CSRF). Without
 * `ADMIN_TOKEN` the dashboard is read-only: bull-board hides its actions and every write
 * is refused with 403 `FORBIDDEN`. Tokens travel in headers only, never in the URL.
 */
import { timingSafeEqual } from "node:crypto";
import { ERROR_CODES } from "../domain/error-codes.js";
import { ForbiddenError } from "../domain/forbidden-error.js";
import { codedErrorBody } from "./error-body.js";
import { digest, presentedToken, tokenGuard, type RequestGuard } from "./token-guard.js";

type Token = { reveal(): string } | undefined;

const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/** The `onRequest` guard of the dashboard; see the module comment. */
export function dashboardGuard(apiToken: Token, adminToken: Token): RequestGuard {
  const admin = adminToken ? digest(adminToken.reveal()) : undefined;
  const api = apiToken ? digest(apiToken.reveal()) : undefined;
  // Reads: either token (an unset one never matches); 503 when neither is set.
  const apiGuard = tokenGuard(apiToken ?? adminToken, true);
  const readGuard: RequestGuard = async (request, reply) => {
    const presented = presentedToken(request.headers.authorization, true);
    if (presented !== undefined && admin && timingSafeEqual(digest(presented), admin)) return;
    await apiGuard(request, reply);
  };
  const forbid = async (reply: Parameters<RequestGuard>[1], message: string) => {
    await reply
      .code(ERROR_CODES.FORBIDDEN.httpStatus)
      .send(codedErrorBody(new ForbiddenError(message)));
  };

  return async (request, reply) => {
    if (READ_METHODS.has(request.method)) return readGuard(request, reply);
    const header = request.headers.authorization;
    const bearer = presentedToken(header, false);
    if (bearer !== undefined && admin && timingSafeEqual(digest(bearer), admin)) return;
    // Known to be someone (a valid token of either kind, any scheme): 403, else 401.
    const any = presentedToken(header, true);
    const known =
      any !== undefined &&
      [api, admin].some((d) => d !== undefined && timingSafeEqual(digest(any), d));
    if (!known) return readGuard(request, reply);
    if (!admin) {
      return forbid(reply, "the dashboard is read-only: set ADMIN_TOKEN to allow write actions");
    }
    return forbid(reply, "write actions need Authorization: Bearer <ADMIN_TOKEN>");
  };
}
