/**
 * The OpenTelemetry SDK of a `gatepay-refunds` process, set up only when the `OTEL_*`
 * variables turn tracing on (src/config-tracing.ts): a Node tracer provider with the
 * `service.name`, a batch span processor and the OTLP/HTTP (JSON) or console exporter,
 * registered globally with the W3C trace-context propagator. Without tracing nothing is
 * loaded: the SDK packages are imported here on demand, never by the library entries.
 *
 * `shutdown()` flushes the spans still buffered; the command calls it before it exits.
 */
import type { TracingConfig } from "../config.js";
import { parseOtlpHeaders } from "../config-tracing.js";

/** What {@link startTracing} set up. */
export interface CliTracing {
  /** Flushes buffered spans and stops the exporter; does nothing when tracing is off. */
  shutdown(): Promise<void>;
}

const OFF: CliTracing = { shutdown: () => Promise.resolve() };

/** Starts the SDK when `tracing.enabled`; otherwise returns a handle that does nothing. */
export async function startTracing(tracing: TracingConfig): Promise<CliTracing> {
  if (!tracing.enabled) return OFF;
  const [
    { NodeTracerProvider },
    { BatchSpanProcessor, ConsoleSpanExporter },
    { resourceFromAttributes },
  ] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/resources"),
  ]);
  let exporter;
  if (tracing.exporter === "console") {
    exporter = new ConsoleSpanExporter();
  } else {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    const headers = tracing.otlpHeaders
      ? parseOtlpHeaders(tracing.otlpHeaders.reveal())
      : undefined;
    exporter = new OTLPTraceExporter({
      ...(tracing.otlpTracesUrl === undefined ? {} : { url: tracing.otlpTracesUrl }),
      ...(headers === undefined ? {} : { headers }),
    });
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": tracing.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return {
    async shutdown() {
      await provider.shutdown();
    },
  };
}
