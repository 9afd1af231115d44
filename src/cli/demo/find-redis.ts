/**
 * Finds a Redis for the demo, in order: `REDIS_URL`; a Redis answering on
 * 127.0.0.1:6379; a `redis-server` binary on PATH, started on a free port in a temporary
 * directory (stopped again by `stop()`); a testcontainers Redis when a Docker engine
 * answers. Otherwise one clear error saying how to get one.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisAnswers } from "../../store/redis-connection.js";
import { startRedisContainer } from "./redis-container.js";

export interface FoundRedis {
  url: string;
  /** Where it came from, for the demo's first lines. */
  source: "REDIS_URL" | "local" | "redis-server" | "testcontainers";
  /** Stops what the demo started (nothing for a Redis it found running). */
  stop(): Promise<void>;
}

const LOCAL_URL = "redis://127.0.0.1:6379";

export { redisAnswers };

/**
 * A loopback port that was free a moment ago (bind port 0, read it, release it); another
 * process may take it first, so callers retry on a failed start.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function onPath(binary: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(":")) {
    const candidate = join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function startRedisServer(binary: string): Promise<FoundRedis | undefined> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "gatepay-demo-redis-"));
  const child = spawn(
    binary,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) break;
    if (await redisAnswers(url, 200)) return { url, source: "redis-server", stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  return undefined;
}

export interface FindRedisOptions {
  /** Where to look for an already running Redis; default redis://127.0.0.1:6379. */
  localUrl?: string;
}

export async function findRedis(
  env: Record<string, string | undefined> = process.env,
  options: FindRedisOptions = {},
): Promise<FoundRedis> {
  const none = () => Promise.resolve();
  const fromEnv = env["REDIS_URL"];
  if (fromEnv) {
    if (await redisAnswers(fromEnv, 3_000))
      return { url: fromEnv, source: "REDIS_URL", stop: none };
    throw new Error("REDIS_URL is set but no Redis answers there; start it, or unset REDIS_URL");
  }
  const localUrl = options.localUrl ?? LOCAL_URL;
  if (await redisAnswers(localUrl)) return { url: localUrl, source: "local", stop: none };
  const binary = onPath("redis-server", env["PATH"]);
  const started = binary ? await startRedisServer(binary) : undefined;
  if (started) return started;
  const container = await startRedisContainer();
  if (container) return { ...container, source: "testcontainers" };
  throw new Error(
    "The demo needs Redis and found none: no REDIS_URL, nothing on 127.0.0.1:6379, no " +
      "redis-server on PATH and no Docker engine. Install one (Debian/Ubuntu: " +
      "`sudo apt-get install redis-server`, macOS: `brew install redis`) or point REDIS_URL at one.",
  );
}
