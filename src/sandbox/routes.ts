/**
 * The GatePay paths the sandbox serves, derived from the client's ENDPOINTS table
 * (gatepay-api.md §5–6), so the sandbox answers exactly where the client calls.
 */
import { ENDPOINTS, GATEPAY_OPERATIONS, type GatePayEndpoint } from "../gatepay/endpoints.js";
import type { SandboxOperation } from "./faults.js";

/** One served path. */
export interface SandboxRoute {
  operation: SandboxOperation;
  method: "GET" | "POST";
  /** Institution paths require `X-GatePay-On-Behalf-Of` (gatepay-api.md §2.2). */
  institution: boolean;
}

/**
 * Path (without query string) → route. A map rather than a scan: the sandbox serves
 * benchmarks at thousands of requests per second.
 */
export const SANDBOX_ROUTES: ReadonlyMap<string, SandboxRoute> = new Map(
  GATEPAY_OPERATIONS.flatMap((operation) => {
    const endpoint: GatePayEndpoint = ENDPOINTS[operation];
    const entries: [string, SandboxRoute][] = [
      [endpoint.merchantPath, { operation, method: endpoint.method, institution: false }],
    ];
    if (endpoint.institutionPath !== null) {
      entries.push([
        endpoint.institutionPath,
        { operation, method: endpoint.method, institution: true },
      ]);
    }
    return entries;
  }),
);
