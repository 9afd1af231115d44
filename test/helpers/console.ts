/**
 * The console under test: a pipeline (sandbox, real Redis, workers) and the real HTTP
 * server on 127.0.0.1:0 with both tokens, plus a way to make a refund `dead` the way
 * production does (GatePay unreachable past the attempts), and plain HTTP calls to its pages.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished } from "vitest";
import type { HttpServer } from "../../src/http/server.js";
import { startTestHttpServer } from "./http-server.js";
import { startPipeline, type Pipeline, type PipelineOptions } from "./pipeline.js";

export const API_TOKEN = "console-api-token-3c9d1e7a";
export const ADMIN_TOKEN = "console-admin-token-f08b52d6";
export const ORDER = "7700123400001";

/** A pipeline and the server in front of it, both stopped after the test. */
export async function startConsole(
  name: string,
  options: Partial<PipelineOptions> & { durability?: () => { mode: string } } = {},
): Promise<{ p: Pipeline; server: HttpServer }> {
  const p = await startPipeline({
    name,
    workers: false,
    ...options,
    env: { API_TOKEN, ADMIN_TOKEN, SUBMIT_MAX_ATTEMPTS: "3", ...options.env },
  });
  p.sandbox.seedOrders({ prepayId: ORDER, amount: "1000", currency: "USDT", kind: "order" });
  const server = await startTestHttpServer(
    p,
    options.durability ? { durability: options.durability } : {},
  );
  return { p, server };
}

/**
 * Enqueues `id` while GatePay drops the POST after recording it and answers every look-up
 * with a 500: the refund ends `dead` (sent once, outcome unknown). Clears the faults after,
 * so a replay can settle it. Workers must be running; `prepayId` must be seeded.
 */
export async function makeDead(
  p: Pipeline,
  id: string,
  amount = "3",
  prepayId = ORDER,
): Promise<void> {
  p.sandbox.faults.set({ orderRefund: { dropAfter: 1 } });
  p.sandbox.faults.script("refundDetails", new Array<"http500">(12).fill("http500"));
  await p.producer.enqueue({ refundRequestId: id, prepayId, refundAmount: amount });
  const dead = await p.waitFinal(id, 30_000);
  if (dead.state !== "dead") throw new Error(`${id} ended ${dead.state}, not dead`);
  p.sandbox.faults.clear();
}

/**
 * Writes a CSV batch file of `rows` valid refunds plus one invalid row; row i is on
 * `orders[(i - 1) % orders.length]` (default: {@link ORDER} only).
 */
export async function batchFile(
  idPrefix: string,
  rows: number,
  orders: readonly string[] = [ORDER],
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "console-batch-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const lines = ["refundRequestId,prepayId,refundAmount,refundReason"];
  for (let i = 1; i <= rows; i++) {
    lines.push(`${idPrefix}${i},${orders[(i - 1) % orders.length]!},1.5,batch row ${i}`);
  }
  lines.push(`${idPrefix}BAD,${ORDER},-4,negative amount`);
  const file = join(dir, "refunds.csv");
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

/** An answer of the console: status, headers, and the body with {@link squash}. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** GET `path` on the server, redirects not followed. */
export async function get(
  server: HttpServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, { headers, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: squash(await res.text()) };
}

/** POST `form` (urlencoded) to `path`, redirects not followed. */
export async function post(
  server: HttpServer,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, text: squash(await res.text()) };
}

/** Signs in with the API token: the session cookie and the pages' CSRF token. */
export async function login(server: HttpServer): Promise<{ cookie: string; csrf: string }> {
  const res = await post(server, "/console/login", { token: API_TOKEN, next: "/console" });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  const page = await get(server, "/console", { cookie });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error("no CSRF token on the page");
  return { cookie, csrf };
}

/** The page without the whitespace between tags (the templates are formatted for reading). */
function squash(text: string): string {
  return text.replace(/>\s+</g, "><");
}

/** The API token as a bearer header. */
export const bearer = { authorization: `Bearer ${API_TOKEN}` };
