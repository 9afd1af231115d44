import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyFailure,
  DEFAULT_RATE_LIMIT_DELAY_MS,
  type FailureDecision,
} from "../../src/gatepay/classify-failure.js";
import { GATEPAY_OPERATIONS, type GatePayOperation } from "../../src/gatepay/endpoints.js";
import {
  GatePayApiError,
  GatePayConnectionError,
  GatePayError,
  GatePayResponseError,
  GatePayTimeoutError,
} from "../../src/gatepay/errors.js";

const CREATES: GatePayOperation[] = ["orderRefund", "convertRefund"];
const READS: GatePayOperation[] = ["refundDetails", "refundQueryV1"];

function api(
  httpStatus: number,
  code?: string,
  retryAfterMs?: number,
  operation: GatePayOperation = "orderRefund",
): GatePayApiError {
  return new GatePayApiError({ operation, httpStatus, code, retryAfterMs });
}

function netError(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });
}

const timeout = (op: GatePayOperation = "orderRefund") =>
  new GatePayTimeoutError({ operation: op, timeoutMs: 10, cause: new Error("aborted") });
const responseError = (op: GatePayOperation = "orderRefund") =>
  new GatePayResponseError({ operation: op, httpStatus: 200, problem: "x", bodyExcerpt: "" });

describe("classifyFailure: creating operations", () => {
  const table: [string, unknown, FailureDecision["action"], string?][] = [
    ["HTTP 500 300000", api(500, "300000"), "unknown-outcome", "300000"],
    ["HTTP 500 300001", api(500, "300001"), "unknown-outcome", "300001"],
    ["HTTP 500 400000", api(500, "400000"), "unknown-outcome", "400000"],
    ["HTTP 502 without a body", api(502), "unknown-outcome"],
    ["HTTP 503 with an odd code", api(503, "400001"), "unknown-outcome", "400001"],
    ["HTTP 200 FAIL 300000", api(200, "300000"), "unknown-outcome", "300000"],
    ["timeout", timeout(), "unknown-outcome"],
    [
      "reset",
      GatePayConnectionError.fromCause("orderRefund", netError("ECONNRESET")),
      "unknown-outcome",
    ],
    [
      "socket closed",
      GatePayConnectionError.fromCause("orderRefund", netError("UND_ERR_SOCKET")),
      "unknown-outcome",
    ],
    [
      "unknown network failure",
      GatePayConnectionError.fromCause("orderRefund", new Error("?")),
      "unknown-outcome",
    ],
    ["2xx with an unreadable body", responseError(), "unknown-outcome"],
    [
      "connection refused",
      GatePayConnectionError.fromCause("orderRefund", netError("ECONNREFUSED")),
      "retry",
    ],
    ["DNS", GatePayConnectionError.fromCause("orderRefund", netError("ENOTFOUND")), "retry"],
    ["DNS again", GatePayConnectionError.fromCause("orderRefund", netError("EAI_AGAIN")), "retry"],
    ["HTTP 408", api(408), "retry"],
    ["400002 signature", api(200, "400002"), "retry", "400002"],
    ["400003 timestamp", api(200, "400003"), "retry", "400003"],
    ["400020 nonce", api(200, "400020"), "retry", "400020"],
    ["400622 rate fluctuation", api(200, "400622"), "retry", "400622"],
    ["400004 identity key", api(200, "400004"), "halt", "400004"],
    ["400605 insufficient balance", api(200, "400605"), "halt", "400605"],
    ["400203 merchant unknown", api(200, "400203"), "halt", "400203"],
    ["500008 merchant not found", api(200, "500008"), "halt", "500008"],
    ["unknown numeric code", api(200, "499999"), "halt", "499999"],
    ["unknown text code", api(200, "INVALID_REQUEST"), "halt", "INVALID_REQUEST"],
    ["HTTP 200 FAIL without a code", api(200), "halt"],
    ["HTTP 401 without a code", api(401), "halt"],
    ["HTTP 404 without a code", api(404), "halt"],
    ["a TypeError (bug)", new TypeError("x is undefined"), "halt"],
    ["a base GatePayError", new GatePayError("refundQueryV1", "no institution path"), "halt"],
  ];
  for (const code of [
    "400001",
    "400007",
    "400202",
    "400204",
    "400304",
    "400604",
    "400607",
    "400608",
    "500204",
    "500205",
    "500206",
    "500207",
    "500208",
  ]) {
    table.push([`${code} rejection`, api(200, code), "permanent", code]);
  }

  it.each(table)("%s → %s", (_name, error, action, code) => {
    for (const op of CREATES) {
      const decision = classifyFailure(error, op);
      expect(decision.action).toBe(action);
      expect(decision.code).toBe(code);
      expect(decision.reason).toBeTruthy();
    }
  });

  it("429 waits for Retry-After, or 1000 ms without one", () => {
    expect(classifyFailure(api(429, undefined, 2500), "orderRefund")).toMatchObject({
      action: "retry-after",
      delayMs: 2500,
    });
    expect(classifyFailure(api(429), "convertRefund")).toMatchObject({
      action: "retry-after",
      delayMs: DEFAULT_RATE_LIMIT_DELAY_MS,
    });
  });

  it("a 5xx with Retry-After carries the delay on the unknown outcome", () => {
    expect(classifyFailure(api(503, undefined, 3000), "orderRefund")).toEqual({
      action: "unknown-outcome",
      delayMs: 3000,
      reason: expect.any(String),
    });
  });
});

describe("classifyFailure: read operations", () => {
  const table: [string, unknown, FailureDecision["action"]][] = [
    ["HTTP 500 300000", api(500, "300000"), "retry"],
    ["HTTP 502 without a body", api(502), "retry"],
    ["HTTP 200 FAIL 300001", api(200, "300001"), "retry"],
    ["HTTP 408", api(408), "retry"],
    ["timeout", timeout(), "retry"],
    ["reset", GatePayConnectionError.fromCause("refundDetails", netError("ECONNRESET")), "retry"],
    [
      "refused",
      GatePayConnectionError.fromCause("refundDetails", netError("ECONNREFUSED")),
      "retry",
    ],
    ["unreadable 2xx", responseError(), "retry"],
    ["400003 timestamp", api(200, "400003"), "retry"],
    ["400002 signature", api(200, "400002"), "retry"],
    ["429", api(429), "retry-after"],
    ["400004 identity key", api(200, "400004"), "halt"],
    ["HTTP 403 without a code", api(403), "halt"],
    ["400001 parameters", api(200, "400001"), "permanent"],
    ["400304 unknown refund", api(200, "400304"), "permanent"],
    ["400202 order not found", api(200, "400202"), "permanent"],
    ["unknown code", api(200, "499999"), "permanent"],
    ["a TypeError (bug)", new TypeError("boom"), "halt"],
  ];

  it.each(table)("%s → %s", (_name, error, action) => {
    for (const op of READS) expect(classifyFailure(error, op).action).toBe(action);
  });

  it("a 503 with Retry-After waits as told", () => {
    expect(classifyFailure(api(503, undefined, 700), "refundDetails")).toMatchObject({
      action: "retry-after",
      delayMs: 700,
    });
  });
});

describe("classifyFailure is total", () => {
  const decisionShape = (d: FailureDecision): void => {
    expect(["retry", "retry-after", "unknown-outcome", "permanent", "halt"]).toContain(d.action);
    expect(typeof d.reason).toBe("string");
    if (d.action === "retry-after") expect(Number.isFinite(d.delayMs)).toBe(true);
  };
  const anyOperation = fc.oneof(
    fc.constantFrom(...GATEPAY_OPERATIONS),
    fc.string() as fc.Arbitrary<GatePayOperation>,
  );

  it("never throws on arbitrary values", () => {
    fc.assert(
      fc.property(fc.anything(), anyOperation, (value, op) => {
        decisionShape(classifyFailure(value, op));
      }),
    );
  });

  it("never throws on GatePay API errors with arbitrary statuses, codes and delays", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1, max: 1000 }),
        fc.option(fc.oneof(fc.string(), fc.integer({ min: 0, max: 999_999 }).map(String))),
        fc.option(fc.nat()),
        anyOperation,
        (httpStatus, code, retryAfterMs, op) => {
          const err = api(httpStatus, code ?? undefined, retryAfterMs ?? undefined);
          const d = classifyFailure(err, op);
          decisionShape(d);
          // A creation that got a 5xx may have moved money: never "retry" blindly.
          if (CREATES.includes(op) && httpStatus >= 500) expect(d.action).toBe("unknown-outcome");
          // A read never reports an unknown outcome: nothing moved.
          if (READS.includes(op)) expect(d.action).not.toBe("unknown-outcome");
        },
      ),
    );
  });

  it("survives hostile objects", () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error("nope");
        },
        get() {
          throw new Error("nope");
        },
      },
    );
    expect(classifyFailure(hostile, "orderRefund").action).toBe("halt");
    expect(classifyFailure(hostile, "refundDetails").action).toBe("halt");
  });

  it("an unrecognised operation is treated as a creation (the cautious side)", () => {
    expect(classifyFailure(api(500), "nope" as GatePayOperation).action).toBe("unknown-outcome");
  });
});
