/**
 * A caller who is known (a valid token) but not allowed to do this: a dashboard write
 * action with the read-only `API_TOKEN`, or any write while no `ADMIN_TOKEN` is set.
 * Code `FORBIDDEN` (HTTP 403).
 */
import { CodedError } from "./errors.js";

/** The credentials are valid but do not allow this action. */
export class ForbiddenError extends CodedError {
  override readonly name = "ForbiddenError";
  override readonly code = "FORBIDDEN";
}
