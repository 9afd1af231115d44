/**
 * OpenTelemetry tracing, with the real SDK and an in-memory exporter: one refund's spans,
 * from the enqueue (library or `POST /refunds` with a caller's `traceparent`) through the
 * submit job, the GatePay POST, the poll job and the GatePay GET, form one linked trace;
 * GatePay spans carry the operation and the refundRequestId and never the secret. With
 * tracing off, jobs carry no trace metadata.
 */
import { context, propagation, trace } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { GATEPAY_SPAN_ATTRIBUTES as A } from "../../src/gatepay/tracing.js";
import { startHttpServer } from "../../src/http/server.js";
import { createLogger } from "../../src/logger.js";
import { createRefundProducer } from "../../src/producer/enqueue-refund.js";
import { createMetrics } from "../../src/worker/metrics.js";
import { SECRET, startPipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register(); // global: this test file runs in its own worker

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

// Tracing on for the workers the pipeline starts, as the OTEL_* variables would turn it on
// (the command would also start an OTLP exporter; here the test's SDK is the one registered).
const TRACING_ENV = {
  OTEL_TRACES_EXPORTER: "otlp",
  OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
};
const API_TOKEN = "tracing-test-token-0123456789";

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

function parentId(s: ReadableSpan): string | undefined {
  return s.parentSpanContext?.spanId;
}

/** Follows parent links from `span` up to the root of its trace (as far as spans were seen). */
function ancestry(span: ReadableSpan, all: ReadableSpan[]): string[] {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const names = [span.name];
  for (let p = parentId(span); p !== undefined;) {
    const next = byId.get(p);
    if (!next) break;
    names.push(next.name);
    p = parentId(next);
  }
  return names;
}

/** Waits until the trace holds a finished GatePay span of `operation` for `id`. */
async function waitForGatePaySpan(traceId: string, operation: string, id: string) {
  return waitFor(
    () =>
      spansOf(traceId).find(
        (s) => s.attributes[A.operation] === operation && s.attributes[A.refundRequestId] === id,
      ),
    `a gatepay ${operation} span for ${id}`,
  );
}

describe("tracing: one refund, one trace", () => {
  it("links enqueue → submit job → GatePay POST → poll job → GatePay GET", async () => {
    const p = await startPipeline({ name: "trace-lib", env: TRACING_ENV });
    expect(p.config.tracing.enabled).toBe(true);
    p.sandbox.seedOrders({ prepayId: "55001", amount: "40", currency: "USDT", kind: "order" });
    const producer = createRefundProducer({ redis: p.redis, prefix: p.prefix, tracing: true });
    try {
      await producer.enqueue({ refundRequestId: "TR-1", prepayId: "55001", refundAmount: "4" });
      expect((await p.waitFinal("TR-1")).state).toBe("succeeded");
    } finally {
      await producer.close();
    }
    const enqueue = exporter.getFinishedSpans().find((s) => s.name === "refund enqueue");
    expect(enqueue?.attributes["gatepay.refund_request_id"]).toBe("TR-1");
    expect(parentId(enqueue!)).toBeUndefined(); // the root: nothing came before it
    const traceId = enqueue!.spanContext().traceId;

    const post = await waitForGatePaySpan(traceId, "orderRefund", "TR-1");
    const get = await waitForGatePaySpan(traceId, "refundDetails", "TR-1");
    expect(post.name).toBe("gatepay orderRefund");
    expect(post.attributes[A.method]).toBe("POST");
    expect(get.attributes[A.method]).toBe("GET");

    // Every GatePay call hangs, through the job that made it and the add that queued that
    // job, from the enqueue. (A job's span ends after the GatePay call inside it: wait.)
    const rootedPath = (span: ReadableSpan) =>
      waitFor(() => {
        const path = ancestry(span, spansOf(traceId));
        return path.at(-1) === "refund enqueue" ? path : undefined;
      }, `the ancestry of ${span.name} to reach the enqueue`);
    const postPath = await rootedPath(post);
    const getPath = await rootedPath(get);
    expect(postPath.some((n) => /^process /.test(n))).toBe(true);
    expect(postPath.some((n) => /^add /.test(n))).toBe(true);
    expect(getPath.filter((n) => /^process /.test(n)).length).toBeGreaterThanOrEqual(2);
    expect(getPath.filter((n) => /^add /.test(n)).length).toBeGreaterThanOrEqual(2);

    // No secret on any span: not the key, not a signature header.
    const dump = JSON.stringify(
      exporter.getFinishedSpans().map((s) => ({ n: s.name, a: s.attributes, e: s.events })),
    );
    expect(dump).not.toContain(SECRET);
    expect(dump.toLowerCase()).not.toContain("x-gatepay-signature");
  });

  it("POST /refunds continues the caller's trace from its traceparent header", async () => {
    const p = await startPipeline({
      name: "trace-http",
      env: { ...TRACING_ENV, API_TOKEN },
    });
    p.sandbox.seedOrders({ prepayId: "55002", amount: "40", currency: "USDT", kind: "order" });
    const producer = createRefundProducer({ redis: p.redis, prefix: p.prefix, tracing: true });
    const server = await startHttpServer({
      config: p.config,
      producer,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics({ defaultMetrics: false }),
      port: 0,
      host: "127.0.0.1",
    });
    const callerTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpanId = "00f067aa0ba902b7";
    try {
      const res = await fetch(`${server.url}/refunds`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${API_TOKEN}`,
          "content-type": "application/json",
          traceparent: `00-${callerTraceId}-${callerSpanId}-01`,
        },
        body: JSON.stringify({ refundRequestId: "TR-2", prepayId: "55002", refundAmount: "4" }),
      });
      expect(res.status).toBe(201);
      expect((await p.waitFinal("TR-2")).state).toBe("succeeded");
      const get = await waitForGatePaySpan(callerTraceId, "refundDetails", "TR-2");
      const served = spansOf(callerTraceId).find((s) => s.name === "POST /refunds");
      expect(parentId(served!)).toBe(callerSpanId);
      const path = await waitFor(() => {
        const names = ancestry(get, spansOf(callerTraceId));
        return names.at(-1) === "POST /refunds" ? names : undefined;
      }, "the GatePay GET's ancestry to reach POST /refunds");
      expect(path.slice(-2)).toEqual(["refund enqueue", "POST /refunds"]);
    } finally {
      await server.close();
      await producer.close();
    }
  });

  it("with tracing off, jobs carry no trace metadata", async () => {
    const p = await startPipeline({ name: "trace-off", workers: false });
    expect(p.config.tracing.enabled).toBe(false);
    await p.producer.enqueue({ refundRequestId: "TR-3", prepayId: "55003", refundAmount: "1" });
    const [job] = await p.producer.queues.submit.getJobs(["waiting", "delayed", "prioritized"]);
    expect(job?.data.refundRequestId).toBe("TR-3");
    expect(job?.opts.telemetry).toBeUndefined();
  });
});
