/**
 * The real HTTP server (fastify on 127.0.0.1:0) in front of a test pipeline, with a
 * silent logger and its own metrics registry; closed when the test finishes.
 */
import { onTestFinished } from "vitest";
import {
  startHttpServer,
  type HttpServer,
  type StartHttpServerOptions,
} from "../../src/http/server.js";
import { createLogger } from "../../src/logger.js";
import { createMetrics } from "../../src/worker/metrics.js";
import type { Pipeline } from "./pipeline.js";

export async function startTestHttpServer(
  p: Pipeline,
  extra: Partial<StartHttpServerOptions> = {},
): Promise<HttpServer> {
  const server = await startHttpServer({
    config: p.config,
    producer: p.producer,
    logger: createLogger({ level: "silent" }),
    metrics: createMetrics({ defaultMetrics: false, queuePrefix: p.config.queuePrefix }),
    port: 0,
    host: "127.0.0.1",
    ...extra,
  });
  onTestFinished(() => server.close());
  return server;
}
