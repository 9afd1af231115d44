/**
 * The tracing part of the configuration: the standard OpenTelemetry variables this service
 * honours (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
 * validated like every other variable by `loadConfig` (src/config.ts).
 *
 * Tracing is off unless configured: on when `OTEL_TRACES_EXPORTER` is `otlp` or `console`,
 * or when it is unset and an OTLP endpoint is set; `OTEL_SDK_DISABLED=true` turns it off
 * whatever else says. OTLP goes over HTTP with JSON bodies (`http/json`) to
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`.
 */
import { z } from "zod";
import { Secret } from "./secret.js";

/** Exporters `OTEL_TRACES_EXPORTER` accepts. */
export const TRACE_EXPORTERS = ["otlp", "console", "none"] as const;
/** One of {@link TRACE_EXPORTERS}. */
export type TraceExporter = (typeof TRACE_EXPORTERS)[number];

/** Settings of OpenTelemetry tracing. */
export interface TracingConfig {
  /** Whether the process traces: the command starts an SDK, queues and workers attach BullMQ telemetry. */
  readonly enabled: boolean;
  /** Where spans go when enabled (`none` when disabled). */
  readonly exporter: TraceExporter;
  /** The OTLP/HTTP traces URL, when the exporter is `otlp`. */
  readonly otlpTracesUrl: string | undefined;
  /** `OTEL_EXPORTER_OTLP_HEADERS`, parsed (`name=value,…`); values may be credentials. */
  readonly otlpHeaders: Secret | undefined;
  /** `OTEL_SERVICE_NAME`; default `gatepay-refund-worker`. */
  readonly serviceName: string;
}

/** The OTEL variables, in README order (rows of `CONFIG_ENV_VARS`). */
export const TRACING_ENV_VARS = [
  {
    name: "OTEL_SDK_DISABLED",
    default: "false",
    description: "true turns tracing off whatever the other OTEL_* variables say",
    secret: false,
  },
  {
    name: "OTEL_TRACES_EXPORTER",
    default: undefined,
    description:
      "otlp, console or none; unset = otlp when an OTLP endpoint is set, else tracing is off",
    secret: false,
  },
  {
    name: "OTEL_EXPORTER_OTLP_ENDPOINT",
    default: undefined,
    description: "OTLP/HTTP (http/json) base URL; traces go to <url>/v1/traces",
    secret: false,
  },
  {
    name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    default: undefined,
    description: "OTLP/HTTP traces URL, used as is (overrides OTEL_EXPORTER_OTLP_ENDPOINT)",
    secret: false,
  },
  {
    name: "OTEL_EXPORTER_OTLP_HEADERS",
    default: undefined,
    description: "Headers sent to the OTLP endpoint: name=value,… (values URL-encoded)",
    secret: true,
  },
  {
    name: "OTEL_SERVICE_NAME",
    default: "gatepay-refund-worker",
    description: "service.name of every span",
    secret: false,
  },
] as const;

const httpUrl = z.string().refine(
  (s) => {
    const url = URL.parse(s);
    return (
      url !== null && (url.protocol === "http:" || url.protocol === "https:") && url.hash === ""
    );
  },
  { error: "must be an http:// or https:// URL without a fragment" },
);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `name=value,name2=value2` (W3C baggage-like, values percent-decoded) → a header object. */
export function parseOtlpHeaders(text: string): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    const name = part.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
    if (!HEADER_NAME.test(name) || /[\r\n]/.test(value)) return undefined;
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** zod schemas of the OTEL variables, spread into the config schema. */
export const TRACING_ENV_SCHEMA = {
  OTEL_SDK_DISABLED: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(["true", "false"], { error: "must be true or false" })),
  OTEL_TRACES_EXPORTER: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(TRACE_EXPORTERS, { error: `must be one of ${TRACE_EXPORTERS.join(", ")}` }))
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .refine((s) => parseOtlpHeaders(s) !== undefined, {
      error: "must be name=value pairs separated by commas",
    })
    .transform((s) => new Secret(s))
    .optional(),
  OTEL_SERVICE_NAME: z
    .string()
    .max(200, { error: "must be at most 200 characters" })
    .refine((s) => ![...s].some((c) => c < " " || c === "\u007f"), {
      error: "must not contain control characters",
    }),
};

type TracingEnv = z.output<z.ZodObject<typeof TRACING_ENV_SCHEMA>>;

/** The {@link TracingConfig} of parsed OTEL variables. */
export function tracingFromEnv(e: TracingEnv): TracingConfig {
  const otlpTracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
      ? undefined
      : `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`);
  const wanted = e.OTEL_TRACES_EXPORTER ?? (otlpTracesUrl === undefined ? "none" : "otlp");
  const exporter = e.OTEL_SDK_DISABLED === "true" ? "none" : wanted;
  return Object.freeze({
    enabled: exporter !== "none",
    exporter,
    otlpTracesUrl,
    otlpHeaders: e.OTEL_EXPORTER_OTLP_HEADERS,
    serviceName: e.OTEL_SERVICE_NAME,
  });
}
