/**
 * The GatePay paths the sandbox serves (gatepay-api.md §5–6), merchant and institution.
 */
import type { SandboxOperation } from "./faults.js";

/** One served path. */
export interface SandboxRoute {
  operation: SandboxOperation;
  method: "GET" | "POST";
  /** Institution paths require `X-GatePay-On-Behalf-Of` (gatepay-api.md §2.2). */
  institution: boolean;
}

const INSTITUTION_PREFIX = "/payment/open/institution";

const MERCHANT_PATHS: readonly [string, SandboxOperation, "GET" | "POST", boolean][] = [
  // §5.1 / §5.2 order refund.
  ["/v1/pay/order/refund", "orderRefund", "POST", true],
  // §5.4 convert (address) refund.
  ["/v1/pay/address/refundconvert", "convertRefund", "POST", true],
  // §6.2 v2 refund details (GET, query string unsigned).
  ["/v2/pay/refund/details", "refundDetails", "GET", true],
  // §6.3 v1 refund query (POST with a JSON body); no institution path is documented.
  ["/v1/pay/order/refund/query", "refundQueryV1", "POST", false],
];

/** Path (without query string) → route. */
export const SANDBOX_ROUTES: ReadonlyMap<string, SandboxRoute> = new Map(
  MERCHANT_PATHS.flatMap(([path, operation, method, hasInstitution]) => {
    const entries: [string, SandboxRoute][] = [[path, { operation, method, institution: false }]];
    if (hasInstitution) {
      entries.push([`${INSTITUTION_PREFIX}${path}`, { operation, method, institution: true }]);
    }
    return entries;
  }),
);
