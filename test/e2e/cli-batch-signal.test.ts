/**
 * `gatepay-refunds batch FILE --wait` as a child process stops on SIGTERM (what
 * `docker compose stop` sends the compose producer) and on SIGINT: it stops waiting, says
 * the batch goes on, prints the summary and exits 1, instead of waiting forever or dying
 * without a word. No worker runs here, so the refunds stay queued and the wait never ends
 * by itself.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { cleanupPrefix, connect, newPrefix, redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";
import { cliEnv, exitCodeWithin, killAllCli, spawnCli } from "./cli-process.js";

const redis = connect();
const prefixes: string[] = [];
let tmp: string | undefined;

afterEach(async () => {
  await killAllCli();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
});

// Each command is a fresh Node process (about 1-5 s on a loaded 2-core machine).
describe("gatepay-refunds batch --wait", { timeout: 90_000 }, () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`stops waiting on ${signal}, prints the summary and exits 1`, async () => {
      const prefix = newPrefix(`cli-batch-${signal}`);
      prefixes.push(prefix);
      tmp = await mkdtemp(join(tmpdir(), "cli-batch-signal-"));
      const file = join(tmp, "refunds.csv");
      await writeFile(
        file,
        "refundRequestId,prepayId,refundAmount\nsig-1,9000000000000000001,1.00\n" +
          "sig-2,9000000000000000002,2.00\n",
      );
      const proc = spawnCli(
        ["batch", file, "--batch-id", "sig", "--wait", "--progress-every", "1"],
        cliEnv({ REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix }),
      );
      // The first progress line is written once the watch (and its signal handlers) runs;
      // a signal before that, while the file is being enqueued, ends the process as usual.
      await waitFor(() => /^batch sig: 0\/2 final/m.test(proc.stderr()), "the first progress line");
      proc.child.kill(signal);
      const code = await exitCodeWithin(proc, 20_000);
      expect(code, proc.stderr()).toBe(1);
      expect(proc.stderr()).toMatch(/interrupted: stopped waiting; the batch goes on/);
      expect(proc.stdout()).toMatch(/^not all final after .*: 2 row\(s\): queued 2$/m);
    });
  }
});
