/**
 * Tracing of the queues (OpenTelemetry through BullMQ's own integration, `bullmq-otel`):
 * every `add` is a PRODUCER span whose context travels in the job's options, and every
 * job a worker processes is a CONSUMER span under it, so one refund's trace runs from its
 * enqueue through the submit job, the GatePay POST, each poll job and its GatePay GET.
 *
 * Off unless asked for (`Config.tracing.enabled`, or `tracing: true` in the library
 * options): without it no telemetry is attached and jobs carry no trace metadata. Spans
 * go to whatever OpenTelemetry SDK the process has registered (src/cli/tracing.ts for the
 * command; your own in a backend); with none they go nowhere.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";
import type { Telemetry } from "bullmq";
import { BullMQOtel } from "bullmq-otel";

/** The instrumentation scope of the queue and producer spans. */
export const QUEUE_TRACER_NAME = "gatepay-refund-worker";

/** BullMQ telemetry for queues and workers when `enabled`, else `undefined` (no tracing). */
export function createQueueTelemetry(enabled: boolean): Telemetry | undefined {
  return enabled ? new BullMQOtel({ tracerName: QUEUE_TRACER_NAME }) : undefined;
}

/**
 * Runs `fn` in an active span `name` (kind PRODUCER) with the refund's id, so the jobs it
 * adds join this span's trace. A throw marks the span as an error (class name only: an
 * error message may quote input) and is re-thrown.
 */
export async function withRefundSpan<T>(
  name: string,
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  return trace
    .getTracer(QUEUE_TRACER_NAME)
    .startActiveSpan(name, { kind: SpanKind.PRODUCER, attributes }, async (span) => {
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
