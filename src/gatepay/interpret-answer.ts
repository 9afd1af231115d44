/**
 * Turns a raw HTTP answer into `data` or an error (gatepay-api.md §4): HTTP status first,
 * then the envelope's `status` (success is `status === "SUCCESS"`, never `code`), then
 * `data` against the operation's schema. Pure; nothing secret reaches an error.
 */
import type { z } from "zod";
import type { GatePayOperation } from "./endpoints.js";
import { parseFast } from "./fast-shapes.js";
import {
  bodyExcerpt,
  GatePayApiError,
  GatePayResponseError,
  parseRetryAfterMs,
  redactSecrets,
  scrubCause,
} from "./errors.js";
import { GatePayEnvelope, parseEnvelopeData, parseGatePayJson } from "./schemas.js";

/** What {@link interpretAnswer} reads of an answer. */
export interface RawAnswer {
  status: number;
  retryAfter: string | null;
  text: string;
}

/**
 * @param secrets strings removed from anything that reaches an error (the secret, the
 *   signature of the attempt).
 * @throws GatePayApiError for a failure answer, GatePayResponseError for a 2xx that does
 *   not parse.
 */
export function interpretAnswer<S extends z.ZodType>(
  operation: GatePayOperation,
  answer: RawAnswer,
  schema: S,
  secrets: readonly string[],
): z.output<S> {
  const retryAfterMs = parseRetryAfterMs(answer.retryAfter);
  let json: unknown;
  let jsonError: unknown;
  try {
    json = parseGatePayJson(answer.text);
  } catch (err) {
    jsonError = err;
  }
  const envelope = jsonError === undefined ? parseFast(GatePayEnvelope, json) : undefined;
  const ok = answer.status >= 200 && answer.status < 300;

  if (!ok || (envelope?.success === true && envelope.data.status !== "SUCCESS")) {
    const fields = envelope?.success === true ? envelope.data : undefined;
    const scrub = (text: string | undefined): string | undefined =>
      text === undefined ? undefined : (redactSecrets(text, secrets) as string);
    throw new GatePayApiError({
      operation,
      httpStatus: answer.status,
      code: scrub(fields?.code),
      label: scrub(fields?.label),
      errorMessage: scrub(fields?.errorMessage),
      retryAfterMs,
      body:
        jsonError === undefined ? redactSecrets(json, secrets) : bodyExcerpt(answer.text, secrets),
      cause: scrubCause(jsonError, secrets),
    });
  }
  const fail = (problem: string, cause: unknown): GatePayResponseError =>
    new GatePayResponseError({
      operation,
      httpStatus: answer.status,
      problem: redactSecrets(problem, secrets) as string,
      bodyExcerpt: bodyExcerpt(answer.text, secrets),
      cause: scrubCause(cause, secrets),
    });
  if (jsonError !== undefined) throw fail("body is not JSON", jsonError);
  if (envelope?.success !== true) {
    throw fail("body is not a GatePay envelope", envelope?.error);
  }
  let data: unknown;
  try {
    data = parseEnvelopeData(envelope.data.data);
  } catch (err) {
    throw fail("data is a string but not JSON", err);
  }
  const parsed = parseFast(schema, data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.map(String).join(".") : "";
    throw fail(
      `data${path ? `.${path}` : ""} does not match: ${issue?.message ?? "invalid"}`,
      parsed.error,
    );
  }
  return parsed.data;
}
