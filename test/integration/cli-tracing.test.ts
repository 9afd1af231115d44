/**
 * The command's OpenTelemetry SDK (src/cli/tracing.ts) against a real HTTP collector
 * stand-in: spans reach `<endpoint>/v1/traces` as OTLP/JSON with the service name and the
 * configured headers; with tracing off nothing is started and nothing is sent.
 */
import { trace } from "@opentelemetry/api";
import { afterAll, describe, expect, it } from "vitest";
import { startTracing } from "../../src/cli/tracing.js";
import { loadConfig } from "../../src/config.js";
import { startCaptureServer } from "../helpers/capture-server.js";

afterAll(() => trace.disable());

describe("gatepay-refunds tracing setup", () => {
  it("starts nothing when tracing is off", async () => {
    const tracing = await startTracing(loadConfig({}).tracing);
    await tracing.shutdown();
    const span = trace.getTracer("t").startSpan("nowhere");
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it("exports spans over OTLP/HTTP with the service name and headers, on shutdown at the latest", async () => {
    const collector = await startCaptureServer();
    collector.enqueue({ status: 200, body: {} }); // an OTLP collector's "accepted"
    try {
      const config = loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20collector-token",
        OTEL_SERVICE_NAME: "refunds-test",
      });
      const tracing = await startTracing(config.tracing);
      trace.getTracer("t").startActiveSpan("unit of work", (span) => span.end());
      await tracing.shutdown();
      const [req] = await collector.waitForRequests(1);
      expect(req!.method).toBe("POST");
      expect(req!.url).toBe("/v1/traces");
      expect(req!.headers["authorization"]).toBe("Bearer collector-token");
      expect(req!.headers["content-type"]).toMatch(/json/);
      expect(req!.body).toContain("unit of work");
      expect(req!.body).toContain("refunds-test");
    } finally {
      trace.disable();
      await collector.close();
    }
  });
});
