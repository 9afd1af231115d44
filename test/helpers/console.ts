/**
 * The console under test: a pipeline (sandbox, real Redis, workers) and the real HTTP
 * server on 127.0.0.1:0 with both tokens, plus a way to make a refund `dead` the way
 * production does (GatePay unreachable past the attempts).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
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
 * so a replay can settle it. Workers must be running.
 */
export async function makeDead(p: Pipeline, id: string, amount = "3"): Promise<void> {
  p.sandbox.faults.set({ orderRefund: { dropAfter: 1 } });
  p.sandbox.faults.script("refundDetails", new Array<"http500">(12).fill("http500"));
  await p.producer.enqueue({ refundRequestId: id, prepayId: ORDER, refundAmount: amount });
  const dead = await p.waitFinal(id, 30_000);
  if (dead.state !== "dead") throw new Error(`${id} ended ${dead.state}, not dead`);
  p.sandbox.faults.clear();
}

/** Writes a CSV batch file of `rows` valid refunds on {@link ORDER} plus one invalid row. */
export async function batchFile(idPrefix: string, rows: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "console-batch-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const lines = ["refundRequestId,prepayId,refundAmount,refundReason"];
  for (let i = 1; i <= rows; i++) lines.push(`${idPrefix}${i},${ORDER},1.5,batch row ${i}`);
  lines.push(`${idPrefix}BAD,${ORDER},-4,negative amount`);
  const file = join(dir, "refunds.csv");
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}
