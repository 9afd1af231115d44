/**
 * Shared setup of the batch library's integration tests (test/integration/batch-run-*):
 * fixtures, a pipeline with two orders seeded, a temporary folder per file, a run that is
 * disposed after use, and a run's JSON report.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import {
  writeBatchReport,
  type BatchReportRow,
  type BatchRun,
} from "../../src/producer/batch/index.js";
import { startPipeline, type Pipeline } from "./pipeline.js";

export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/batch/${name}`, import.meta.url));

/** A temporary folder made before this file's tests and removed after them. */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error("the temporary folder exists only during tests");
    return dir;
  };
}

export async function pipeline(name: string, workers = true): Promise<Pipeline> {
  const p = await startPipeline({ name, workers, sandbox: { settleDelayMs: 20 } });
  p.sandbox.seedOrders([
    { prepayId: "9001", amount: "100", currency: "USDT", kind: "order" },
    { prepayId: "9002", amount: "100", currency: "USDT", kind: "order" },
  ]);
  return p;
}

/** Runs `fn` with the run, then deletes its journal. */
export async function withRun<T>(run: BatchRun, fn: (run: BatchRun) => Promise<T>): Promise<T> {
  try {
    return await fn(run);
  } finally {
    await run.dispose();
  }
}

export async function reportJson(
  p: Pipeline,
  run: BatchRun,
  dir: string,
): Promise<BatchReportRow[]> {
  const path = join(dir, `${run.batchId}-${Date.now()}.json`);
  await writeBatchReport(p.producer, run, path);
  return JSON.parse(await readFile(path, "utf8")) as BatchReportRow[];
}
