import { describe, expect, it } from "vitest";
import {
  ENDPOINTS,
  endpointPath,
  GATEPAY_OPERATIONS,
  isCreatingOperation,
  matchEndpoint,
} from "../../src/gatepay/endpoints.js";

describe("ENDPOINTS", () => {
  it("has the documented methods and paths (gatepay-api.md §5, §6)", () => {
    expect(ENDPOINTS).toEqual({
      orderRefund: {
        method: "POST",
        merchantPath: "/v1/pay/order/refund",
        institutionPath: "/payment/open/institution/v1/pay/order/refund",
        kind: "create",
      },
      convertRefund: {
        method: "POST",
        merchantPath: "/v1/pay/address/refundconvert",
        institutionPath: "/payment/open/institution/v1/pay/address/refundconvert",
        kind: "create",
      },
      refundDetails: {
        method: "GET",
        merchantPath: "/v2/pay/refund/details",
        institutionPath: "/payment/open/institution/v2/pay/refund/details",
        kind: "read",
        queryParam: "refundRequestId",
      },
      refundQueryV1: {
        method: "POST",
        merchantPath: "/v1/pay/order/refund/query",
        institutionPath: null,
        kind: "read",
      },
    });
    expect(GATEPAY_OPERATIONS).toEqual([
      "orderRefund",
      "convertRefund",
      "refundDetails",
      "refundQueryV1",
    ]);
  });

  it("endpointPath picks the mode and refuses a missing institution path", () => {
    expect(endpointPath("orderRefund", false)).toBe("/v1/pay/order/refund");
    expect(endpointPath("refundDetails", true)).toBe(
      "/payment/open/institution/v2/pay/refund/details",
    );
    expect(() => endpointPath("refundQueryV1", true)).toThrow(/institution/);
  });

  it("matchEndpoint is the inverse of the table", () => {
    for (const operation of GATEPAY_OPERATIONS) {
      const { method, merchantPath, institutionPath } = ENDPOINTS[operation];
      expect(matchEndpoint(method.toLowerCase(), merchantPath)).toEqual({
        operation,
        institution: false,
      });
      if (institutionPath !== null) {
        expect(matchEndpoint(method, institutionPath)).toEqual({ operation, institution: true });
      }
    }
    expect(matchEndpoint("GET", "/v1/pay/order/refund")).toBeUndefined();
    expect(matchEndpoint("POST", "/v2/pay/refund/details")).toBeUndefined();
  });

  it("only the refund creations create", () => {
    expect(GATEPAY_OPERATIONS.filter(isCreatingOperation)).toEqual([
      "orderRefund",
      "convertRefund",
    ]);
  });
});
