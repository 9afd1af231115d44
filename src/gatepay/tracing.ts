/**
 * One OpenTelemetry span per GatePay call (`gatepay <operation>`, kind CLIENT), carrying
 * the operation, the HTTP method and the `refundRequestId`, and on failure the error class,
 * the HTTP status and GatePay's code. Never a secret: no header, signature, body or
 * error message goes on a span (an error message can quote GatePay's answer).
 *
 * Off unless configured: through `@opentelemetry/api` only, whose tracer does nothing
 * until an SDK registers a provider (src/cli/tracing.ts does, when `OTEL_*` says so).
 * A read's brief retries run inside its one span.
 */
import {
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
} from "@opentelemetry/api";
import { ENDPOINTS, type GatePayOperation } from "./endpoints.js";
import { GatePayApiError, GatePayError } from "./errors.js";

/** The instrumentation scope of every span this package starts. */
export const TRACER_NAME = "gatepay-refund-worker";

/** Attribute names on GatePay spans (the HTTP ones follow OpenTelemetry's conventions). */
export const GATEPAY_SPAN_ATTRIBUTES = {
  operation: "gatepay.operation",
  refundRequestId: "gatepay.refund_request_id",
  code: "gatepay.code",
  method: "http.request.method",
  status: "http.response.status_code",
  errorType: "error.type",
} as const;

/**
 * Runs `call` inside a span for one GatePay operation on one refund. The span ends when
 * the call settles; a throw marks it as an error and is re-thrown unchanged.
 */
export async function traceGatePayCall<T>(
  operation: GatePayOperation,
  refundRequestId: string | undefined,
  call: () => Promise<T>,
): Promise<T> {
  // No SDK registered (the default): the API's no-op tracer would still build the
  // attributes, a non-recording span, a context and two closures per call, all thrown
  // away. Checked per call, so a provider registered later is used from then on.
  if (noTracerRegistered()) return call();
  const a = GATEPAY_SPAN_ATTRIBUTES;
  const attributes: Attributes = {
    [a.operation]: operation,
    [a.method]: ENDPOINTS[operation].method,
  };
  if (refundRequestId !== undefined) attributes[a.refundRequestId] = refundRequestId;
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(
    `gatepay ${operation}`,
    { kind: SpanKind.CLIENT, attributes },
    async (span) => {
      try {
        const result = await call();
        if (result === null) span.setAttribute(a.code, "400304"); // GatePay: unknown refund
        return result;
      } catch (err) {
        const failure: Attributes = {
          [a.errorType]: err instanceof Error ? err.name : typeof err,
        };
        if (err instanceof GatePayApiError) {
          failure[a.status] = err.httpStatus;
          if (err.code !== undefined) failure[a.code] = err.code;
        }
        span.setAttributes(failure);
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: err instanceof GatePayError ? err.name : "error",
        });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * True when no OpenTelemetry SDK has registered a tracer provider: the global provider is
 * the API's own proxy, still without a delegate, so every span would be a no-op. (A
 * provider of another copy of the API is not this class: such a process takes the span
 * path as before.)
 */
function noTracerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return (
    provider instanceof ProxyTracerProvider && provider.getDelegateTracer(TRACER_NAME) === undefined
  );
}
