/**
 * `gatepay-refunds status` as a child process prints a record whose `refundReason` holds
 * terminal escape sequences without any of them (issue 13 item 12), in both forms.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRefundProducer } from "../../src/producer/enqueue-refund.js";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";
import { cliEnv, killAllCli, runCli } from "./cli-process.js";

const redis = connect();
const prefix = newPrefix("cli-status-terminal");

afterEach(async () => {
  await killAllCli();
});
afterAll(async () => {
  await cleanupPrefix(redis, prefix);
  await redis.quit();
});

// eslint-disable-next-line no-control-regex
const ACTIVE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe("gatepay-refunds status with a hostile refundReason", { timeout: 90_000 }, () => {
  it("prints no control sequence, and --json reads back exactly", async () => {
    const reason = "late\x1b]0;pwned\x07\x1b[2J\x9b1m ok\rFAILED";
    const producer = createRefundProducer({ redis, prefix });
    await producer.enqueue({
      refundRequestId: "term-1",
      prepayId: "9001",
      refundAmount: "1.00",
      refundReason: reason,
    });
    const env = cliEnv({ REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix });
    const human = await runCli(["status", "term-1"], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toMatch(ACTIVE);
    expect(human.stdout).toMatch(/^reason\s+late ok\ufffdFAILED$/m);
    const json = await runCli(["status", "term-1", "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(ACTIVE);
    const printed = JSON.parse(json.stdout) as { request: { refundReason: string } };
    expect(printed.request.refundReason).toBe(reason);
  });
});
