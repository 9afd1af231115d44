/**
 * `gatepay-refunds enqueue` and `status` as child processes on the real Redis: the
 * record printed, the exit codes of src/cli/output.ts, and configuration errors.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRefundProducer, type RefundProducer } from "../../src/producer/enqueue-refund.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";
import { cliEnv, killAllCli, runCli } from "./cli-process.js";

const redis = connect();
const prefixes: string[] = [];

afterEach(async () => {
  await killAllCli();
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
});

/** A fresh prefix, its CLI environment and a library producer to look at the result. */
function setup(name: string): { env: Record<string, string>; producer: RefundProducer } {
  const prefix = newPrefix(name);
  prefixes.push(prefix);
  const producer = createRefundProducer({ redis, prefix });
  return { env: cliEnv({ REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix }), producer };
}

const ORDER_FLAGS = ["--prepay-id", "9000000000000000123", "--refund-amount", "10.50"];

// Each command is a fresh Node process (about 1-5 s on a loaded 2-core machine).
describe("gatepay-refunds enqueue / status", { timeout: 90_000 }, () => {
  it("prints the new record as JSON, and status shows it (summary and --json)", async () => {
    const { env, producer } = setup("cli-enqueue");
    const enq = await runCli(
      ["enqueue", "--refund-request-id", "cli-r1", ...ORDER_FLAGS, "--refund-reason", "damaged"],
      env,
    );
    expect(enq.stderr).toBe("");
    expect(enq.code, enq.stderr).toBe(0);
    const printed = JSON.parse(enq.stdout);
    expect(printed).toMatchObject({
      refundRequestId: "cli-r1",
      kind: "order",
      state: "queued",
      attempts: 0,
      request: {
        prepayId: "9000000000000000123",
        refundAmount: "10.50",
        refundReason: "damaged",
      },
    });
    expect(await producer.getRefund("cli-r1")).toEqual(printed);

    const human = await runCli(["status", "cli-r1"], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^state\s+queued \(in progress\)$/m);
    expect(human.stdout).toMatch(/^amount\s+10\.50$/m);
    expect(human.stdout).toMatch(/^prepayId\s+9000000000000000123$/m);
    expect(human.stdout).toMatch(/^history \(1\)$/m);
    expect(human.stdout).toMatch(/^\s+\S+Z\s+queued\s+created$/m);

    const json = await runCli(["status", "cli-r1", "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(printed);

    // The same request again, as one JSON object, is not an error: exit 0, the unchanged
    // record (--json asks for the JSON output enqueue prints anyway).
    const request = JSON.stringify({
      refundRequestId: "cli-r1",
      prepayId: "9000000000000000123",
      refundAmount: "10.5",
      refundReason: "damaged",
    });
    const again = await runCli(["enqueue", "--input", request, "--json"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(printed);
    expect(again.stderr).toMatch(/already exists/);

    // The same from standard input (`--input -`).
    const piped = await runCli(["enqueue", "--input", "-"], env, undefined, request);
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual(printed);
  });

  it("exits 2 naming refundAmount for a bad amount, and stores nothing", async () => {
    const { env, producer } = setup("cli-bad-amount");
    const res = await runCli(
      ["enqueue", "--refund-request-id", "cli-bad", "--prepay-id", "1", "--refund-amount", "ten"],
      env,
    );
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^refundAmount: /)]);
    expect(await producer.getRefund("cli-bad")).toBeNull();

    // Every bad field gets its own line; --input numbers are refused, not rounded.
    const json = await runCli(
      ["enqueue", "--input", '{"refundRequestId":"cli-bad","refundAmount":10.5}'],
      env,
    );
    expect(json.code).toBe(2);
    const lines = json.stderr.trim().split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^prepayId: is required$/));
    expect(lines).toContainEqual(expect.stringMatching(/^refundAmount: must be a string/));

    const both = await runCli(["enqueue", "--input", "{}", "--prepay-id", "1"], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --input or the field flags/);

    // The request no longer rides on --json (0.1.0's form): a usage error naming --input.
    const old = await runCli(["enqueue", "--json", '{"refundRequestId":"cli-bad"}'], env);
    expect(old.code).toBe(2);
    expect(old.stdout).toBe("");
    expect(old.stderr).toMatch(/--json no longer takes the request: pass it with --input/);
    expect(await producer.getRefund("cli-bad")).toBeNull();
  });

  it("exits 3 when the refundRequestId is reused for a different refund", async () => {
    const { env, producer } = setup("cli-conflict");
    expect(
      (await runCli(["enqueue", "--refund-request-id", "cli-c", ...ORDER_FLAGS], env)).code,
    ).toBe(0);
    const res = await runCli(
      [
        "enqueue",
        "--refund-request-id",
        "cli-c",
        "--prepay-id",
        "9000000000000000123",
        "--refund-amount",
        "11",
      ],
      env,
    );
    expect(res.code).toBe(3);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/already used by a different refund \(differs in: refundAmount\)/);
    expect((await producer.getRefund("cli-c"))?.request).toMatchObject({ refundAmount: "10.50" });
  });

  it("exits 4 on over-refund and prints the rejected record", async () => {
    const { env, producer } = setup("cli-over");
    const res = await runCli(
      [
        "enqueue",
        "--refund-request-id",
        "cli-o",
        "--prepay-id",
        "77",
        "--refund-amount",
        "20",
        "--order-amount",
        "10",
      ],
      env,
    );
    expect(res.code).toBe(4);
    const printed = JSON.parse(res.stdout);
    expect(printed).toMatchObject({ state: "rejected", lastError: { code: "OVER_REFUND" } });
    expect(res.stderr).toMatch(/^over-refund: /);
    expect((await producer.getRefund("cli-o"))?.state).toBe("rejected");
  });

  it("status of an unknown id exits 1 with a clear message", async () => {
    const { env } = setup("cli-unknown");
    const res = await runCli(["status", "no-such-refund"], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr.trim()).toBe('no refund with refundRequestId "no-such-refund"');
  });

  it("exits 2 naming a bad environment variable, and never prints a secret", async () => {
    const { env } = setup("cli-bad-env");
    const secret = "super-secret-value-that-must-not-print";
    const res = await runCli(["worker", "--no-http"], {
      ...env,
      WORKER_CONCURRENCY: "abc",
      GATEPAY_CLIENT_ID: "cli-client",
      GATEPAY_SECRET_KEY: secret,
      API_TOKEN: "short-token",
    });
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^WORKER_CONCURRENCY: .*"abc"/));
    expect(lines).toContainEqual("API_TOKEN: must be at least 16 characters (value hidden)");
    expect(res.stdout + res.stderr).not.toContain(secret);
    expect(res.stdout + res.stderr).not.toContain("short-token");
  });

  it("exits 2 on an unknown command or option, and 1 when Redis is unreachable", async () => {
    const { env } = setup("cli-usage");
    const [unknown, down] = await Promise.all([
      runCli(["enqueue", "--no-such-flag"], env),
      runCli(["status", "x"], { ...env, REDIS_URL: "redis://user:hunter2@127.0.0.1:1" }),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--no-such-flag'/);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^cannot reach Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1: /);
    expect(down.stderr).not.toContain("hunter2");
  });
});
