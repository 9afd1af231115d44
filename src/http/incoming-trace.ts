/**
 * The caller's trace carried into `POST /refunds`: the W3C `traceparent`/`tracestate`
 * headers (whatever propagator the OpenTelemetry SDK registered) become the parent of a
 * SERVER span, and the enqueue runs inside it, so the refund's jobs, GatePay calls and
 * polls continue the trace the checkout backend started.
 *
 * With no SDK registered (tracing off) extraction finds nothing and the span does nothing.
 * No header value, body or token goes on the span: only the route and the status.
 */
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
} from "@opentelemetry/api";
import type { IncomingHttpHeaders } from "node:http";

const TRACER_NAME = "gatepay-refund-worker";

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key.toLowerCase()],
};

/**
 * Runs `fn` in a SERVER span named `route` (`POST /refunds`) whose parent is the trace
 * context in `headers`, when there is one.
 */
export async function withIncomingTrace<T>(
  headers: IncomingHttpHeaders,
  route: string,
  fn: () => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(context.active(), headers, headerGetter);
  const [method, ...path] = route.split(" ");
  const attributes = { "http.request.method": method ?? "", "http.route": path.join(" ") };
  return trace
    .getTracer(TRACER_NAME)
    .startActiveSpan(route, { kind: SpanKind.SERVER, attributes }, parent, async (span) => {
      try {
        return await fn();
      } catch (err) {
        span.setAttribute("error.type", err instanceof Error ? err.name : typeof err);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
}
