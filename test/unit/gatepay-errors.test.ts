import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  bodyExcerpt,
  GatePayApiError,
  GatePayConnectionError,
  GatePayError,
  GatePayResponseError,
  GatePayTimeoutError,
  networkErrorCodes,
  parseRetryAfterMs,
  redactSecrets,
} from "../../src/gatepay/errors.js";

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it.each([
    ["2", 2000],
    [" 0 ", 0],
    ["1.5", 1500],
    ["Thu, 01 Jan 2026 00:00:05 GMT", 5000],
    ["Wed, 31 Dec 2025 23:59:00 GMT", 0],
  ])("%j → %d ms", (value, ms) => {
    expect(parseRetryAfterMs(value, now)).toBe(ms);
  });

  it.each([[null], [undefined], [""], ["soon"], ["-1"], ["1e3"]])("%j → undefined", (value) => {
    expect(parseRetryAfterMs(value, now)).toBeUndefined();
  });
});

describe("networkErrorCodes and requestMayHaveReached", () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });

  it("walks cause chains and AggregateError members", () => {
    const err = new TypeError("fetch failed", {
      cause: new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], "x"),
    });
    expect(networkErrorCodes(err)).toEqual(["ECONNREFUSED"]);
    expect(networkErrorCodes("nope")).toEqual([]);
  });

  it("survives cycles", () => {
    const a = withCode("ECONNRESET") as Error & { cause?: unknown };
    a.cause = a;
    expect(networkErrorCodes(a)).toEqual(["ECONNRESET"]);
  });

  it.each([
    ["ECONNREFUSED", false],
    ["ENOTFOUND", false],
    ["EAI_AGAIN", false],
    ["UND_ERR_CONNECT_TIMEOUT", false],
    ["ECONNRESET", true],
    ["UND_ERR_SOCKET", true],
    ["EPIPE", true],
  ])("%s → requestMayHaveReached %s", (code, reached) => {
    const cause = new TypeError("fetch failed", { cause: withCode(code) });
    const err = GatePayConnectionError.fromCause("orderRefund", cause);
    expect(err.requestMayHaveReached).toBe(reached);
    expect(err.cause).toBe(cause);
    expect(err.message).toContain(code);
  });

  it("an error without any code may have reached GatePay", () => {
    expect(
      GatePayConnectionError.fromCause("orderRefund", new Error("?")).requestMayHaveReached,
    ).toBe(true);
  });

  it("a mix of never-sent and reset codes may have reached GatePay", () => {
    const cause = new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNRESET")]);
    expect(GatePayConnectionError.fromCause("orderRefund", cause).requestMayHaveReached).toBe(true);
  });
});

describe("the error tree", () => {
  it("subclasses carry their data and chain the cause", () => {
    const cause = new Error("root");
    const timeout = new GatePayTimeoutError({ operation: "refundDetails", timeoutMs: 50, cause });
    expect(timeout).toBeInstanceOf(GatePayConnectionError);
    expect(timeout).toBeInstanceOf(GatePayError);
    expect(timeout.requestMayHaveReached).toBe(true);
    expect(timeout.cause).toBe(cause);
    expect(timeout.name).toBe("GatePayTimeoutError");
    expect(timeout.message).toContain("50 ms");

    const api = new GatePayApiError({
      operation: "orderRefund",
      httpStatus: 200,
      code: "400608",
      label: "REFUND_AMOUNT_EXCEPTION",
      errorMessage: "Refund amount exception",
    });
    expect(api.message).toBe(
      "GatePay orderRefund failed: HTTP 200 code 400608 (REFUND_AMOUNT_EXCEPTION): Refund amount exception",
    );
    expect(api).not.toHaveProperty("retryAfterMs");

    const resp = new GatePayResponseError({
      operation: "orderRefund",
      httpStatus: 200,
      problem: "body is not JSON",
      bodyExcerpt: "<html>",
      cause,
    });
    expect(resp.cause).toBe(cause);
    expect(resp.operation).toBe("orderRefund");
  });
});

describe("redaction", () => {
  it("removes secret-named keys and every occurrence of the secrets", () => {
    const body = {
      status: "FAIL",
      echo: { "X-GatePay-Signature": "abc", headers: { authorization: "Bearer t" } },
      message: "key s3cr3t was wrong; s3cr3t!",
      list: ["s3cr3t", 1, null],
    };
    const out = redactSecrets(body, ["s3cr3t"]);
    const text = JSON.stringify(out);
    expect(text).not.toContain("s3cr3t");
    expect(text).not.toContain("abc");
    expect(text).not.toContain("Bearer");
    expect(out).toMatchObject({ status: "FAIL", list: ["[REDACTED]", 1, null] });
  });

  it("excerpts are truncated after the secrets are replaced", () => {
    const text = `${"a".repeat(498)}SECRET${"b".repeat(100)}`;
    const excerpt = bodyExcerpt(text, ["SECRET"]);
    expect(excerpt).not.toContain("SEC");
    expect(excerpt.length).toBeLessThanOrEqual(501);
  });

  it("an API error built from a redacted body does not show the secret anywhere", () => {
    const err = new GatePayApiError({
      operation: "orderRefund",
      httpStatus: 500,
      body: redactSecrets({ echo: "topsecret" }, ["topsecret"]),
    });
    for (const view of [String(err), JSON.stringify(err), inspect(err, { depth: 10 })]) {
      expect(view).not.toContain("topsecret");
    }
  });
});
