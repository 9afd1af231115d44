/**
 * The refund API under test: a pipeline behind the real HTTP server with API_TOKEN, and a
 * `call` that also checks that no answer carries internals.
 */
import { expect } from "vitest";
import { DASHBOARD_PATH, type HttpServer } from "../../src/http/server.js";
import { startPipeline, type Pipeline } from "./pipeline.js";
import { startTestHttpServer } from "./http-server.js";

export const TOKEN = "api-token-5a0c7e19b3d24f68";

export async function startApi(
  name: string,
  opts: { token?: boolean; workers?: boolean; env?: Record<string, string> } = {},
): Promise<{ p: Pipeline; server: HttpServer }> {
  const p = await startPipeline({
    name,
    workers: opts.workers ?? false,
    env: { ...(opts.token === false ? {} : { API_TOKEN: TOKEN }), ...opts.env },
  });
  const server = await startTestHttpServer(p, p.workers ? { workers: p.workers } : {});
  return { p, server };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function call(
  server: HttpServer,
  method: string,
  path: string,
  opts: { auth?: string | null; body?: string; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const auth = opts.auth === undefined ? `Bearer ${TOKEN}` : opts.auth;
  if (auth !== null) headers["authorization"] = auth;
  if (opts.body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined && { body: opts.body }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // No answer ever carries a stack trace or a Redis error text.
  expect(text).not.toMatch(/\n\s+at |WRONGTYPE|node_modules/);
  return { status: res.status, headers: res.headers, text, json };
}

export const refund = (id: string, extra: Record<string, string> = {}) =>
  JSON.stringify({ refundRequestId: id, prepayId: "7001", refundAmount: "5", ...extra });

/** Every protected route, with a body where it needs one. */
export const PROTECTED: { method: string; path: string; body?: string }[] = [
  { method: "POST", path: "/refunds", body: refund("AUTH1") },
  { method: "GET", path: "/refunds/AUTH1" },
  { method: "GET", path: "/batches/B1" },
  { method: "GET", path: "/attention" },
  { method: "GET", path: "/notifications/unmatched" },
  { method: "GET", path: DASHBOARD_PATH },
  { method: "GET", path: `${DASHBOARD_PATH}/queue/refund-submit` },
  { method: "GET", path: `${DASHBOARD_PATH}/api/queues` },
  { method: "GET", path: `${DASHBOARD_PATH}/static/favicon-32x32.png` },
];
