/**
 * The bare baseline every lifecycle figure is compared with: plain BullMQ doing the same
 * HTTP calls as the pipeline — a submit job that sends one signed POST (order refund),
 * then a poll job that sends one signed GET (v2 details) until the refund is final — with
 * undici's `request` on a keep-alive Agent, and nothing else: no refund records, no
 * validation, no logging, no leases, no look-up-first. It is what "the fastest way to drive
 * a GatePay refund through BullMQ" costs on this machine, not a safe implementation.
 *
 * Job retention is the project's (completed kept for an hour, up to 10,000), so Redis
 * commands and memory compare like for like on that policy.
 */
import { randomBytes } from "node:crypto";
import { Queue, Worker, type Job } from "bullmq";
import { Cluster, Redis } from "ioredis";
import { Agent, request } from "undici";
import { ENDPOINTS } from "../src/gatepay/endpoints.js";
import { buildSignedHeaders } from "../src/gatepay/signing.js";
import { BENCH_CLIENT_ID, BENCH_SECRET, type BenchRefund } from "./refunds.js";
import {
  BASELINE_QUEUES,
  type LifecycleProducer,
  type LifecycleWorkers,
  type SystemOptions,
} from "./system-types.js";

const SUBMIT_QUEUE = BASELINE_QUEUES.submit;
const POLL_QUEUE = BASELINE_QUEUES.poll;
const RETENTION = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

interface SubmitData {
  refundRequestId: string;
  prepayId: string;
  refundAmount: string;
}

interface PollData {
  refundRequestId: string;
}

/**
 * The project's signed header set (buildSignedHeaders) with a cheap 32-hex-character nonce,
 * so the bench signs exactly as the client does.
 */
function signedHeaders(body: string): Record<string, string> {
  return buildSignedHeaders({
    clientId: BENCH_CLIENT_ID,
    secret: BENCH_SECRET,
    body,
    nonce: randomBytes(16).toString("hex"),
  });
}

/** The GatePay envelope's `data.status`, or throws when the call failed. */
function dataStatus(statusCode: number, text: string): string {
  const json = JSON.parse(text) as { status?: string; data?: { status?: string } };
  if (statusCode !== 200 || json.status !== "SUCCESS") {
    throw new Error(`GatePay answered HTTP ${statusCode} ${json.status ?? ""}`);
  }
  return json.data?.status ?? "";
}

/**
 * The baseline's connection: one Redis, or a cluster connection when `env` names
 * REDIS_CLUSTER_NODES (the jobs then live in the one slot of the prefix's hash tag).
 */
function connect(options: SystemOptions): Redis | Cluster {
  const seeds = options.env?.["REDIS_CLUSTER_NODES"];
  if (seeds === undefined || seeds === "") {
    return new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  }
  const nodes = seeds.split(",").map((s) => {
    const [host, port] = s.trim().split(":");
    return { host: host ?? "127.0.0.1", port: Number(port) };
  });
  return new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null } });
}

/** Starts the bare submit and poll workers. */
export async function startBaselineWorkers(options: SystemOptions): Promise<LifecycleWorkers> {
  const connection = connect(options);
  const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  const pollQueue = new Queue<PollData>(POLL_QUEUE, { connection, prefix: options.prefix });
  const createUrl = `${options.sandboxUrl}${ENDPOINTS.orderRefund.merchantPath}`;
  const detailsUrl = `${options.sandboxUrl}${ENDPOINTS.refundDetails.merchantPath}?refundRequestId=`;
  const pollDelayMs = options.pollFirstDelayMs ?? 0;
  let finals = 0;
  let submits = 0;
  const listeners = new Set<() => void>();

  const submit = new Worker<SubmitData>(
    SUBMIT_QUEUE,
    async (job: Job<SubmitData>) => {
      const { refundRequestId, prepayId, refundAmount } = job.data;
      const body = JSON.stringify({ refundRequestId, prepayId, refundAmount });
      const res = await request(createUrl, {
        method: "POST",
        headers: signedHeaders(body),
        body,
        dispatcher,
      });
      dataStatus(res.statusCode, await res.body.text());
      await pollQueue.add("poll", { refundRequestId }, { delay: pollDelayMs, ...RETENTION });
    },
    { connection, prefix: options.prefix, concurrency: options.concurrency, autorun: true },
  );
  const poll = new Worker<PollData>(
    POLL_QUEUE,
    async (job: Job<PollData>) => {
      const { refundRequestId } = job.data;
      const res = await request(detailsUrl + encodeURIComponent(refundRequestId), {
        method: "GET",
        headers: signedHeaders(""),
        dispatcher,
      });
      const status = dataStatus(res.statusCode, await res.body.text());
      if (status === "SUCCESS" || status === "FAIL") return "final";
      await pollQueue.add("poll", { refundRequestId }, { delay: pollDelayMs, ...RETENTION });
      return "again";
    },
    { connection, prefix: options.prefix, concurrency: options.concurrency, autorun: true },
  );
  poll.on("completed", (_job, result) => {
    if (result === "final") {
      finals += 1;
      for (const l of listeners) l();
    }
  });
  submit.on("completed", () => {
    submits += 1;
  });
  for (const w of [submit, poll]) w.on("error", () => undefined);
  await Promise.all([submit.waitUntilReady(), poll.waitUntilReady()]);

  return {
    finals: () => finals,
    submits: () => submits,
    onFinal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await Promise.all([submit.close(), poll.close()]);
      await pollQueue.close();
      await dispatcher.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** A bare producer: `Queue.addBulk` of submit jobs carrying the request, in chunks. */
export function createBaselineProducer(options: SystemOptions): LifecycleProducer {
  const connection = connect(options);
  const queue = new Queue<SubmitData>(SUBMIT_QUEUE, { connection, prefix: options.prefix });
  const chunkSize = options.chunkSize ?? 500;
  return {
    async enqueue(refunds: readonly BenchRefund[]) {
      for (let i = 0; i < refunds.length; i += chunkSize) {
        await queue.addBulk(
          refunds.slice(i, i + chunkSize).map((r) => ({
            name: "submit",
            data: {
              refundRequestId: r.refundRequestId,
              prepayId: r.prepayId,
              refundAmount: r.refundAmount,
            },
            opts: { ...RETENTION },
          })),
        );
      }
    },
    async close() {
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
