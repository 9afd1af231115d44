/**
 * The standard OTEL_* variables: when tracing is on, where spans go, and refusals that name
 * the variable without echoing header values (they are often credentials).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { parseOtlpHeaders } from "../../src/config-tracing.js";

describe("OTEL_* configuration", () => {
  it("is off by default, and off with only a service name", () => {
    expect(loadConfig({}).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_SERVICE_NAME: "checkout" }).tracing).toMatchObject({
      enabled: false,
      exporter: "none",
      serviceName: "checkout",
    });
  });

  it("an OTLP endpoint turns it on, with traces at <endpoint>/v1/traces", () => {
    const t = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing;
    expect(t).toMatchObject({
      enabled: true,
      exporter: "otlp",
      otlpTracesUrl: "http://collector:4318/v1/traces",
    });
  });

  it("the traces endpoint is used as is and wins over the base endpoint", () => {
    const t = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b.example/otlp/traces",
    }).tracing;
    expect(t.otlpTracesUrl).toBe("https://b.example/otlp/traces");
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: "console" }, true, "console"],
    [{ OTEL_TRACES_EXPORTER: "OTLP" }, true, "otlp"], // default URL of the exporter
    [{ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, false, "none"],
    [{ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, false, "none"],
    [{ OTEL_SDK_DISABLED: "FALSE", OTEL_TRACES_EXPORTER: "console" }, true, "console"],
  ])("%j → enabled %s, exporter %s", (env, enabled, exporter) => {
    expect(loadConfig(env).tracing).toMatchObject({ enabled, exporter });
  });

  it("keeps the headers as a secret and parses them", () => {
    const t = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Basic%20dXNlcjpwYXNz,x-tenant=shop",
    }).tracing;
    expect(JSON.stringify(t)).not.toContain("dXNlcjpwYXNz");
    expect(parseOtlpHeaders(t.otlpHeaders!.reveal())).toEqual({
      authorization: "Basic dXNlcjpwYXNz",
      "x-tenant": "shop",
    });
  });

  it.each([
    ["OTEL_SDK_DISABLED", "yes", /must be true or false/],
    ["OTEL_TRACES_EXPORTER", "jaeger", /must be one of otlp, console, none/],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", /http:\/\/ or https:\/\/ URL/],
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x/v1/traces", /http:\/\/ or https:\/\/ URL/],
    ["OTEL_EXPORTER_OTLP_HEADERS", "Authorization Bearer-secret-xyz", /name=value pairs/],
    ["OTEL_SERVICE_NAME", "a\nb", /control characters/],
  ])("%s=%j is refused with a reason", (name, value, reason) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).toMatch(new RegExp(`^${name}: `));
    expect(message).toMatch(reason);
    if (name === "OTEL_EXPORTER_OTLP_HEADERS") expect(message).not.toContain("secret-xyz");
  });

  it("an endpoint with credentials is not echoed in the error", () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://user:hunter2@c:4318" })).toThrow(
      /^(?!.*hunter2)/s,
    );
  });
});
