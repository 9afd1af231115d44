/**
 * The GatePay refund endpoints this service uses: the single source of method and paths
 * for the client and for the sandbox's router (gatepay-api.md §5, §6).
 */

/** The GatePay calls this service makes. */
export type GatePayOperation = "orderRefund" | "convertRefund" | "refundDetails" | "refundQueryV1";

/** One row of {@link ENDPOINTS}. */
export interface GatePayEndpoint {
  readonly method: "GET" | "POST";
  /** Merchant-mode path, appended to the base URL. */
  readonly merchantPath: string;
  /** Institution-mode path (sent with `X-GatePay-On-Behalf-Of`); `null` when there is none. */
  readonly institutionPath: string | null;
  /**
   * `create` moves money (a lost answer means the refund may exist); `read` only looks.
   * Failure classification depends on it (see classify-failure.ts).
   */
  readonly kind: "create" | "read";
  /**
   * GET only: the query parameter carrying the refund id. It is not signed: a GET signs
   * the empty body (gatepay-api.md §3.3).
   */
  readonly queryParam?: "refundRequestId";
}

/** Method and paths of every {@link GatePayOperation}. */
export const ENDPOINTS = {
  // §5.1 / §5.2
  orderRefund: {
    method: "POST",
    merchantPath: "/v1/pay/order/refund",
    institutionPath: "/payment/open/institution/v1/pay/order/refund",
    kind: "create",
  },
  // §5.4 (convert / flash-swap address orders only)
  convertRefund: {
    method: "POST",
    merchantPath: "/v1/pay/address/refundconvert",
    institutionPath: "/payment/open/institution/v1/pay/address/refundconvert",
    kind: "create",
  },
  // §6.2: the documented status query; no body, `?refundRequestId=…`
  refundDetails: {
    method: "GET",
    merchantPath: "/v2/pay/refund/details",
    institutionPath: "/payment/open/institution/v2/pay/refund/details",
    kind: "read",
    queryParam: "refundRequestId",
  },
  // §6.3: older query, a signed POST with body {refundRequestId}; merchant only
  refundQueryV1: {
    method: "POST",
    merchantPath: "/v1/pay/order/refund/query",
    institutionPath: null,
    kind: "read",
  },
} as const satisfies Record<GatePayOperation, GatePayEndpoint>;

/** Every operation, in table order. */
export const GATEPAY_OPERATIONS = Object.keys(ENDPOINTS) as GatePayOperation[];

/** True for the operations that create a refund (money may move). */
export function isCreatingOperation(operation: GatePayOperation): boolean {
  return ENDPOINTS[operation].kind === "create";
}

/**
 * The path of `operation` in merchant or institution mode.
 * @throws Error when the operation has no institution path (refundQueryV1).
 */
export function endpointPath(operation: GatePayOperation, institution: boolean): string {
  const endpoint: GatePayEndpoint = ENDPOINTS[operation];
  if (!institution) return endpoint.merchantPath;
  if (endpoint.institutionPath === null) {
    throw new Error(`GatePay ${operation} has no institution-mode endpoint`);
  }
  return endpoint.institutionPath;
}

/**
 * Reverse lookup for routers (the sandbox): which operation and mode a method and
 * pathname (no query string) address, or `undefined`.
 */
export function matchEndpoint(
  method: string,
  pathname: string,
): { operation: GatePayOperation; institution: boolean } | undefined {
  const upper = method.toUpperCase();
  for (const operation of GATEPAY_OPERATIONS) {
    const endpoint: GatePayEndpoint = ENDPOINTS[operation];
    if (endpoint.method !== upper) continue;
    if (endpoint.merchantPath === pathname) return { operation, institution: false };
    if (endpoint.institutionPath === pathname) return { operation, institution: true };
  }
  return undefined;
}
