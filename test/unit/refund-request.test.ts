import { describe, expect, it } from "vitest";
import { ValidationError, type FieldIssue } from "../../src/domain/errors.js";
import type { RefundRequestFields } from "../../src/domain/refund-record.js";
import {
  differingRequestFields,
  parseRefundRequest,
  REFUND_REQUEST_ID_PATTERN,
  requestFingerprintFields,
  reservedAmountOf,
} from "../../src/domain/refund-request.js";
import { requestFingerprint } from "../../src/store/record-codec.js";

const ORDER = {
  refundRequestId: "rr_2025-01-01_0001",
  prepayId: "1991810932510167040",
  refundAmount: "12.50",
};

const CONVERT = {
  kind: "convert",
  refundRequestId: "cv-1",
  prepayId: "1991810932510167041",
  refundOrderCurrency: "USDT",
  refundOrderAmount: "100",
  refundPayCurrency: "BTC",
  refundPayAmount: "0.0015",
  receiverId: "10002",
};

/** The issues `parseRefundRequest(input)` throws; fails the test when it does not throw. */
function issuesOf(input: unknown): readonly FieldIssue[] {
  try {
    parseRefundRequest(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error(`expected a ValidationError for ${JSON.stringify(input)}`);
}

/** The messages reported for one path. */
function messagesAt(input: unknown, path: string): string[] {
  return issuesOf(input)
    .filter((i) => i.path === path)
    .map((i) => i.message);
}

const NUMBER_MESSAGE = /^must be a string, not a number/;

describe("valid requests", () => {
  it("an order refund defaults kind to order and keeps the strings exactly", () => {
    expect(parseRefundRequest(ORDER)).toEqual({ kind: "order", ...ORDER });
  });

  it("an order refund with every optional field", () => {
    const input = {
      ...ORDER,
      kind: "order",
      refundReason: "customer changed their mind",
      onBehalfOf: "inst-42",
      orderAmount: "100.000000000000000001",
    };
    expect(parseRefundRequest(input)).toEqual(input);
  });

  it("a convert refund", () => {
    expect(parseRefundRequest(CONVERT)).toEqual(CONVERT);
  });

  it("does not return absent optional fields as keys", () => {
    const parsed = parseRefundRequest(ORDER);
    expect(Object.keys(parsed).sort()).toEqual([
      "kind",
      "prepayId",
      "refundAmount",
      "refundRequestId",
    ]);
  });

  it("amount bounds are inclusive: 0.0001 and 5000000", () => {
    expect(reservedAmountOf(parseRefundRequest({ ...ORDER, refundAmount: "0.0001" }))).toBe(
      "0.0001",
    );
    expect(reservedAmountOf(parseRefundRequest({ ...ORDER, refundAmount: "5000000.000000" }))).toBe(
      "5000000.000000",
    );
  });

  it("a 32-character refundRequestId and a 256-character reason are accepted", () => {
    const id = "a".repeat(32);
    const parsed = parseRefundRequest({
      ...ORDER,
      refundRequestId: id,
      refundReason: "é".repeat(256),
    });
    expect(parsed.refundRequestId).toBe(id);
    expect(REFUND_REQUEST_ID_PATTERN.test(id)).toBe(true);
  });
});

describe("empty strings, null and undefined count as absent", () => {
  it("for optional fields (CSV cells)", () => {
    expect(
      parseRefundRequest({
        ...ORDER,
        refundReason: "",
        onBehalfOf: null,
        orderAmount: undefined,
        kind: "",
      }),
    ).toEqual({ kind: "order", ...ORDER });
  });

  it("for required fields, which are then reported missing", () => {
    expect(issuesOf({ ...ORDER, refundRequestId: "", prepayId: null })).toEqual([
      { path: "refundRequestId", message: "is required" },
      { path: "prepayId", message: "is required" },
    ]);
  });
});

describe("each problem is named by its field", () => {
  it.each(["refundRequestId", "prepayId", "refundAmount"])("missing %s", (field) => {
    const input: Record<string, unknown> = { ...ORDER };
    delete input[field];
    expect(issuesOf(input)).toEqual([{ path: field, message: "is required" }]);
  });

  it.each([
    "refundOrderCurrency",
    "refundOrderAmount",
    "refundPayCurrency",
    "refundPayAmount",
    "receiverId",
  ])("missing convert field %s", (field) => {
    const input: Record<string, unknown> = { ...CONVERT };
    delete input[field];
    expect(issuesOf(input)).toEqual([{ path: field, message: "is required" }]);
  });

  it.each([
    ["refundRequestId", 1234],
    ["prepayId", 1991810932510167040],
    ["refundAmount", 12.5],
    ["orderAmount", 100],
  ])("a JSON number for %s is refused as a number", (field, value) => {
    const messages = messagesAt({ ...ORDER, [field]: value }, field);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(NUMBER_MESSAGE);
  });

  it.each([
    ["refundOrderAmount", 100],
    ["refundPayAmount", 0.0015],
    ["receiverId", 10002],
  ])("a JSON number for convert field %s is refused as a number", (field, value) => {
    const messages = messagesAt({ ...CONVERT, [field]: value }, field);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(NUMBER_MESSAGE);
  });

  it("the number message says why (precision) for amounts and ids", () => {
    expect(messagesAt({ ...ORDER, refundAmount: 1 }, "refundAmount")[0]).toContain(
      "amounts lose precision",
    );
    expect(messagesAt({ ...ORDER, prepayId: 1 }, "prepayId")[0]).toContain("ids lose precision");
  });

  it.each([
    ["refundRequestId", true],
    ["prepayId", {}],
    ["refundAmount", ["1"]],
    ["refundReason", false],
  ])("another non-string for %s is refused as not a string", (field, value) => {
    expect(messagesAt({ ...ORDER, [field]: value }, field)).toEqual(["must be a string"]);
  });

  it("refundRequestId longer than 32 characters", () => {
    expect(messagesAt({ ...ORDER, refundRequestId: "a".repeat(33) }, "refundRequestId")).toEqual([
      "must be 1-32 characters of letters, digits, '_' or '-'",
    ]);
  });

  it.each(["a b", "a:b", "a/b", "ä", "a.b", "{tag}", "a*"])(
    "refundRequestId with a character outside [A-Za-z0-9_-]: %j",
    (id) => {
      expect(messagesAt({ ...ORDER, refundRequestId: id }, "refundRequestId")).toHaveLength(1);
    },
  );

  it("prepayId and receiverId: at most 64 characters of the same charset", () => {
    expect(parseRefundRequest({ ...ORDER, prepayId: "9".repeat(64) }).prepayId).toHaveLength(64);
    expect(messagesAt({ ...ORDER, prepayId: "9".repeat(65) }, "prepayId")).toHaveLength(1);
    expect(messagesAt({ ...CONVERT, receiverId: "10 002" }, "receiverId")).toHaveLength(1);
  });

  it.each([
    ["10 002", "must be a Gate user id: digits, a positive integer"],
    ["0", "must be a Gate user id: digits, a positive integer"],
    ["0123", "must be a Gate user id: digits, a positive integer"],
    ["u-1", "must be a Gate user id: digits, a positive integer"],
    ["9007199254740992", "must be at most 9007199254740991 (2^53 - 1)"],
  ])("receiverId %j is refused: %s", (receiverId, message) => {
    expect(messagesAt({ ...CONVERT, receiverId }, "receiverId")).toEqual([message]);
  });

  it("receiverId up to 2^53 - 1 is kept as the string given", () => {
    const id = "9007199254740991";
    expect(parseRefundRequest({ ...CONVERT, receiverId: id })).toMatchObject({ receiverId: id });
  });

  it.each([
    ["1.1234567", "has more than 6 decimal places"],
    ["0.00009", "must be at least 0.0001"],
    ["0", "must be at least 0.0001"],
    ["5000000.000001", "must be at most 5000000"],
    ["5000001", "must be at most 5000000"],
    ["1e3", 'must be a decimal string like "12.50"'],
    ["-1", 'must be a decimal string like "12.50"'],
    ["01", 'must be a decimal string like "12.50"'],
    [" 1", 'must be a decimal string like "12.50"'],
    ["1,5", 'must be a decimal string like "12.50"'],
  ])("refundAmount %j: %s", (value, message) => {
    expect(messagesAt({ ...ORDER, refundAmount: value }, "refundAmount")).toEqual([message]);
  });

  it("convert amounts follow the same rules", () => {
    expect(messagesAt({ ...CONVERT, refundOrderAmount: "1.1234567" }, "refundOrderAmount")).toEqual(
      ["has more than 6 decimal places"],
    );
    expect(messagesAt({ ...CONVERT, refundPayAmount: "6000000" }, "refundPayAmount")).toEqual([
      "must be at most 5000000",
    ]);
  });

  it("currencies: letters and digits only", () => {
    expect(messagesAt({ ...CONVERT, refundPayCurrency: "US-DT" }, "refundPayCurrency")).toEqual([
      "must be a currency code like USDT",
    ]);
  });

  it("orderAmount: a plain decimal string", () => {
    expect(messagesAt({ ...ORDER, orderAmount: "-100" }, "orderAmount")).toEqual([
      'must be a decimal string like "100.00"',
    ]);
  });

  it("refundReason longer than 256 characters", () => {
    expect(messagesAt({ ...ORDER, refundReason: "x".repeat(257) }, "refundReason")).toEqual([
      "must be at most 256 characters",
    ]);
  });

  it("unknown fields are refused, each named by its own path", () => {
    const issues = issuesOf({ ...ORDER, amount: "1", refund_amount: "2" });
    expect(issues).toEqual([
      { path: "amount", message: "is not a known field" },
      { path: "refund_amount", message: "is not a known field" },
    ]);
  });

  it("a convert-only field on an order refund is unknown, and vice versa", () => {
    expect(issuesOf({ ...ORDER, receiverId: "1" })).toEqual([
      { path: "receiverId", message: "is not a known field" },
    ]);
    expect(issuesOf({ ...CONVERT, refundAmount: "1" }).map((i) => i.path)).toContain(
      "refundAmount",
    );
  });

  it.each(["refund", "ORDER", 1, true])("kind %j is refused", (kind) => {
    expect(issuesOf({ ...ORDER, kind })).toEqual([
      { path: "kind", message: 'must be "order" or "convert"' },
    ]);
  });

  it.each([["a string"], [null], [[ORDER]], [42], [undefined]])(
    "input %j is not an object",
    (input) => {
      expect(issuesOf(input)).toEqual([{ path: "", message: "must be an object" }]);
    },
  );
});

describe("several problems at once", () => {
  it("are all reported, in field order, and joined in the error message", () => {
    const input = {
      refundRequestId: "has space",
      prepayId: 1991810932510167040,
      refundAmount: "1.1234567",
      refundReason: "x".repeat(300),
    };
    let error: unknown;
    try {
      parseRefundRequest(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      "refundRequestId",
      "prepayId",
      "refundAmount",
      "refundReason",
    ]);
    const message = (error as ValidationError).message;
    for (const i of issues) expect(message).toContain(`${i.path}: ${i.message}`);
  });

  it("a convert request missing everything names every required field", () => {
    expect(issuesOf({ kind: "convert" }).map((i) => i.path)).toEqual([
      "refundRequestId",
      "prepayId",
      "refundOrderCurrency",
      "refundOrderAmount",
      "refundPayCurrency",
      "refundPayAmount",
      "receiverId",
    ]);
  });
});

describe("reservedAmountOf", () => {
  it("is the refund amount of an order refund", () => {
    expect(reservedAmountOf(parseRefundRequest(ORDER))).toBe("12.50");
  });

  it("is the order-currency amount of a convert refund", () => {
    expect(reservedAmountOf(parseRefundRequest(CONVERT))).toBe("100");
  });
});

describe("differingRequestFields", () => {
  const order = (extra: Record<string, unknown> = {}): RefundRequestFields =>
    parseRefundRequest({ ...ORDER, ...extra });

  it("equal requests differ nowhere", () => {
    expect(differingRequestFields(order(), order())).toEqual([]);
  });

  it('amounts compare by value: "10" and "10.00" differ nowhere', () => {
    expect(
      differingRequestFields(order({ refundAmount: "10" }), order({ refundAmount: "10.00" })),
    ).toEqual([]);
    const a = parseRefundRequest({
      ...CONVERT,
      refundOrderAmount: "100",
      refundPayAmount: "0.0015",
    });
    const b = parseRefundRequest({
      ...CONVERT,
      refundOrderAmount: "100.000",
      refundPayAmount: "0.001500",
    });
    expect(differingRequestFields(a, b)).toEqual([]);
  });

  it("orderAmount does not count: it is a guard input, not part of what GatePay is asked", () => {
    expect(differingRequestFields(order({ orderAmount: "100" }), order())).toEqual([]);
    expect(
      differingRequestFields(order({ orderAmount: "100" }), order({ orderAmount: "200" })),
    ).toEqual([]);
  });

  it("names every differing field, sorted, including ones present on one side only", () => {
    expect(
      differingRequestFields(
        order({ refundAmount: "10", refundReason: "a" }),
        order({ refundAmount: "10.5", prepayId: "2", onBehalfOf: "x", refundReason: "b" }),
      ),
    ).toEqual(["onBehalfOf", "prepayId", "refundAmount", "refundReason"]);
  });

  it("an order and a convert refund differ in kind and in their own fields", () => {
    const diff = differingRequestFields(order(), parseRefundRequest(CONVERT));
    expect(diff).toContain("kind");
    expect(diff).toContain("refundAmount");
    expect(diff).toContain("receiverId");
  });

  it("the fingerprint fields normalize amounts and leave ids untouched", () => {
    expect(requestFingerprintFields(order({ refundAmount: "10.10", prepayId: "007" }))).toEqual({
      kind: "order",
      refundRequestId: ORDER.refundRequestId,
      prepayId: "007",
      refundAmount: "10.1",
    });
  });

  it("the fingerprint stays what earlier versions stored: a stored request stays idempotent", () => {
    // Computed by the createHash/BigInt implementation these replaced; records in Redis
    // keep their fingerprint, so a change here would turn replays into conflicts.
    const order = {
      refundRequestId: "R-1",
      prepayId: "1234567890123456789",
      refundAmount: "10.50",
      refundReason: 'café "quoted"',
      orderAmount: "100",
    };
    expect(requestFingerprint(parseRefundRequest(order))).toBe("Pbkxb-wzESyj-Ks8RF24cTNX66xka7Cr");
    expect(
      requestFingerprint(parseRefundRequest({ ...order, refundAmount: "10.5", orderAmount: "1" })),
    ).toBe("Pbkxb-wzESyj-Ks8RF24cTNX66xka7Cr");
    const convert = {
      kind: "convert",
      refundRequestId: "C_2",
      prepayId: "42",
      refundOrderCurrency: "USDT",
      refundOrderAmount: "5.000",
      refundPayCurrency: "BTC",
      refundPayAmount: "0.0001",
      receiverId: "10001",
      onBehalfOf: "sub-1",
    };
    expect(requestFingerprint(parseRefundRequest(convert))).toBe(
      "PdxNxv-f_5DdxTg7vfb20p-GebiDg_G0",
    );
  });
});

describe("a request already validated", () => {
  it("is frozen and passes again as itself, without being validated again", () => {
    const parsed = parseRefundRequest(ORDER);
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(parseRefundRequest(parsed)).toBe(parsed);
    expect(() => {
      (parsed as { refundAmount: string }).refundAmount = "-1";
    }).toThrow(TypeError);
  });

  it("a copy of it is validated like any input", () => {
    const parsed = parseRefundRequest(ORDER);
    const copy = { ...parsed, refundAmount: "-1" };
    expect(issuesOf(copy).map((i) => i.path)).toEqual(["refundAmount"]);
    const good = { ...parsed };
    expect(parseRefundRequest(good)).not.toBe(good);
    expect(parseRefundRequest(good)).toEqual(parsed);
  });
});
