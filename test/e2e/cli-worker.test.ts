/**
 * The whole job from the command line: a `sandbox` process, a `worker` process and the
 * `enqueue` / `status` / `replay` commands on the real Redis. A refund goes to
 * `succeeded` exactly once; dead and stuck ones are replayed; the worker exits 0 on
 * SIGTERM.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";
import {
  cliEnv,
  exitCodeWithin,
  killAllCli,
  runCli,
  spawnCli,
  type CliProcess,
} from "./cli-process.js";

const CLIENT_ID = "cli-e2e-client";
const SECRET = "cli-e2e-secret-4b1d9c7e2a";
const PREPAY_ID = "9000000000000000001";

const redis = connect();
const prefixes: string[] = [];

afterEach(async () => {
  await killAllCli();
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
});

interface Stack {
  env: Record<string, string>;
  producer: RefundProducer;
  sandbox: CliProcess;
  sandboxUrl: string;
  worker: CliProcess;
}

/**
 * A sandbox process (2 demo orders) and a worker process pointed at it. `extraEnv` goes
 * to the worker and to the other commands (`env`): SUBMIT_MAX_ATTEMPTS, for one, is read
 * by the producer, which writes it into the submit job. `workerEnv` goes to the worker only.
 */
async function startStack(
  name: string,
  sandboxArgs: readonly string[],
  extraEnv: Record<string, string> = {},
  workerEnv: Record<string, string> = {},
): Promise<Stack> {
  const prefix = newPrefix(name);
  prefixes.push(prefix);
  const producer = createRefundProducer({ redis, prefix });
  const sandbox = spawnCli(
    [
      "sandbox",
      "--port",
      "0",
      "--client-id",
      CLIENT_ID,
      "--secret-key",
      SECRET,
      "--seed-orders",
      "2",
      "--settle-delay-ms",
      "200",
      "--duplicate-mode",
      "duplicate",
      ...sandboxArgs,
    ],
    cliEnv({}),
  );
  const [, sandboxUrl = ""] = await sandbox.waitForStdout(/listening on (http:\/\/\S+)/);
  const env = cliEnv({
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    POLL_FIRST_DELAY_MS: "200",
    POLL_MAX_DELAY_MS: "500",
    POLL_DEADLINE_MS: "60000",
    ...extraEnv,
  });
  const worker = spawnCli(["worker", "--no-http"], {
    ...env,
    GATEPAY_BASE_URL: sandboxUrl,
    GATEPAY_CLIENT_ID: CLIENT_ID,
    GATEPAY_SECRET_KEY: SECRET,
    WORKER_CONCURRENCY: "4",
    LOG_LEVEL: "info",
    ...workerEnv,
  });
  await worker.waitForStdout(/"msg":"workers running"/);
  return { env, producer, sandbox, sandboxUrl, worker };
}

async function ledgerRefunds(sandboxUrl: string, id: string): Promise<unknown[]> {
  const res = await fetch(`${sandboxUrl}/__sandbox/ledger`);
  const ledger = (await res.json()) as { refunds: { refundRequestId: string }[] };
  return ledger.refunds.filter((r) => r.refundRequestId === id);
}

describe("gatepay-refunds worker + sandbox", () => {
  it("drives an enqueued refund to succeeded, and the worker exits 0 on SIGTERM", async () => {
    const { env, producer, sandboxUrl, worker } = await startStack("cli-worker", []);
    const enq = await runCli(
      [
        "enqueue",
        "--refund-request-id",
        "cli-w1",
        "--prepay-id",
        PREPAY_ID,
        "--refund-amount",
        "12.34",
      ],
      env,
    );
    expect(enq.code, enq.stderr).toBe(0);
    expect(JSON.parse(enq.stdout)).toMatchObject({ state: "queued" });

    await waitFor(
      async () => (await producer.getRefund("cli-w1"))?.state === "succeeded",
      "cli-w1 to succeed",
      30_000,
    );
    const status = await runCli(["status", "cli-w1", "--json"], env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      refundRequestId: "cli-w1",
      state: "succeeded",
      attempts: 1,
      gatepay: { status: expect.stringMatching(/SUCCESS/) },
    });
    // Exactly once: one refund in the sandbox's ledger (it runs in `duplicate` mode,
    // where a re-post would move money again).
    expect(await ledgerRefunds(sandboxUrl, "cli-w1")).toHaveLength(1);

    const human = await runCli(["status", "cli-w1"], env);
    expect(human.stdout).toMatch(/^state\s+succeeded \(final\)$/m);
    expect(human.stdout).toMatch(/^gatepay\s+.*SUCCESS/m);

    worker.child.kill("SIGTERM");
    expect(await exitCodeWithin(worker, 20_000)).toBe(0);
    expect(worker.stdout()).toMatch(/"msg":"workers stopped"/);
    expect(worker.stdout() + worker.stderr()).not.toContain(SECRET);
  }, 90_000);

  it("replays dead and stuck refunds; a final refund is not replayable", async () => {
    // Polls give up 1.5 s after acceptance, and nothing settles on its own: a refund that
    // is accepted goes stuck. One submission attempt: a refused POST goes dead.
    const { env, producer, sandboxUrl } = await startStack(
      "cli-replay",
      ["--settle-delay-ms", "never"],
      { SUBMIT_MAX_ATTEMPTS: "1" },
      { POLL_DEADLINE_MS: "1500" },
    );
    const admin = (path: string, body: unknown) =>
      fetch(`${sandboxUrl}/__sandbox${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const enqueue = (id: string) =>
      runCli(
        ["enqueue", "--refund-request-id", id, "--prepay-id", PREPAY_ID, "--refund-amount", "5"],
        env,
      );

    // Dead: the only attempt is answered 429 (nothing recorded at GatePay).
    expect(
      (await admin("/faults/script", { operation: "orderRefund", actions: ["http429"] })).status,
    ).toBe(200);
    expect((await enqueue("cli-dead")).code).toBe(0);
    await waitFor(
      async () => (await producer.getRefund("cli-dead"))?.state === "dead",
      "cli-dead to be dead",
    );
    const dead = await runCli(["status", "cli-dead"], env);
    expect(dead.stdout).toMatch(/^state\s+dead \(needs a human\)$/m);
    expect(dead.stdout).toMatch(/^last error\s+429: /m);
    expect(dead.stdout).toMatch(/^note: .*replay/m);
    const replayDead = await runCli(["replay", "cli-dead"], env);
    expect(replayDead.code, replayDead.stderr).toBe(0);
    expect(JSON.parse(replayDead.stdout)).toMatchObject({
      refundRequestId: "cli-dead",
      state: "queued",
      history: expect.arrayContaining([expect.objectContaining({ event: "replayed" })]),
    });

    // Stuck: accepted, never settled before the deadline.
    expect((await enqueue("cli-stuck")).code).toBe(0);
    await waitFor(
      async () => (await producer.getRefund("cli-stuck"))?.state === "stuck",
      "cli-stuck to be stuck",
    );
    // The replaying process sets the new poll deadline (POLL_DEADLINE_MS of its config).
    const replayStuck = await runCli(["replay", "cli-stuck"], env);
    expect(replayStuck.code, replayStuck.stderr).toBe(0);
    expect(JSON.parse(replayStuck.stdout)).toMatchObject({ state: "accepted" });
    expect(
      (await admin("/settle", { refundRequestId: "cli-stuck", status: "SUCCESS" })).status,
    ).toBe(200);
    await waitFor(
      async () => (await producer.getRefund("cli-stuck"))?.state === "succeeded",
      "cli-stuck to succeed after replay",
    );
    expect(await ledgerRefunds(sandboxUrl, "cli-stuck")).toHaveLength(1);

    const final = await runCli(["replay", "cli-stuck"], env);
    expect(final.code, final.stderr).toBe(1);
    expect(final.stderr).toMatch(
      /cli-stuck is succeeded: only dead or stuck refunds can be replayed/,
    );
    const unknown = await runCli(["replay", "no-such-refund"], env);
    expect(unknown.code, unknown.stderr).toBe(1);
    expect(unknown.stderr).toMatch(/no refund with refundRequestId "no-such-refund"/);
  }, 120_000);
});
