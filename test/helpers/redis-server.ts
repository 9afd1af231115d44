/**
 * A throwaway `redis-server` process of the test's own, for tests that kill and restart
 * Redis (the shared server from the global setup must never be touched).
 *
 * It persists every write before answering (`--appendonly yes --appendfsync always`, no
 * RDB snapshots), so a SIGKILL loses nothing Redis acknowledged, as a production Redis
 * with AOF `always` would behave; a restart on the same port and directory replays the
 * AOF. Every server started here is killed when the test process exits, whatever
 * happened, and {@link RedisServer.close} also deletes its directory.
 *
 * ```ts
 * const redis = await startRedisServer();
 * afterAll(() => redis.close());
 * await redis.stop("SIGKILL");
 * await redis.restart(); // same port, same data
 * ```
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, redisAnswers } from "../../src/cli/demo/find-redis.js";
import { parseInfo } from "../../src/domain/durability.js";
import { waitFor } from "./wait-for.js";

/** A running (or stopped) redis-server of this test process. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`; stays the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** The data directory (AOF lives in `appendonlydir/` below it). */
  readonly dir: string;
  /** Pid of the current process; undefined while stopped. */
  readonly pid: number | undefined;
  /**
   * Sends `signal` (default `SIGTERM`) to the process by pid and resolves once it has
   * exited. A no-op while stopped.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts redis-server again on the same port and directory; resolves once it answers PING. */
  restart(): Promise<void>;
  /** SIGKILLs the process if it runs and deletes the directory. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** The redis-server executable; default `redis-server` from PATH. */
  binary?: string;
  /** How long to wait for PING after a start, ms; default 15,000. */
  readyTimeoutMs?: number;
  /**
   * More `--name value` arguments, after (so overriding) the defaults: e.g.
   * `["--appendfsync", "everysec"]`, `["--appendonly", "no"]`, `["--replicaof", …]`.
   */
  args?: readonly string[];
  /** `requirepass`: clients must authenticate with it (the readiness PING does). */
  password?: string;
}

/** Every redis-server this process started and has not seen exit: killed on process exit. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) if (child.pid !== undefined) tryKill(child.pid, "SIGKILL");
});

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** A loopback port that was free a moment ago (shared with the demo's Redis finder). */
export const findFreePort = freePort;

interface Spawned {
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
}

function spawnRedis(binary: string, port: number, dir: string, extra: readonly string[]): Spawned {
  const child = spawn(
    binary,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--save",
      "",
      "--daemonize",
      "no",
      "--logfile",
      "",
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  live.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      live.delete(child);
      resolve();
    });
    child.once("error", (err) => {
      keep(Buffer.from(`spawn error: ${err.message}\n`));
      live.delete(child);
      resolve();
    });
  });
  return { child, exited, output: () => output };
}

/** Starts redis-server and waits for PING; on failure kills it and throws with its output. */
async function launch(
  binary: string,
  port: number,
  dir: string,
  readyTimeoutMs: number,
  extra: readonly string[],
  password?: string,
): Promise<Spawned> {
  const auth = password === undefined ? [] : ["--requirepass", password];
  const spawned = spawnRedis(binary, port, dir, [...auth, ...extra]);
  let gone = false;
  void spawned.exited.then(() => (gone = true));
  const userInfo = password === undefined ? "" : `:${encodeURIComponent(password)}@`;
  const url = `redis://${userInfo}127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (gone) throw new Error("redis-server exited");
        return redisAnswers(url);
      },
      `redis-server on port ${port} to answer PING`,
      readyTimeoutMs,
      50,
    );
    if (gone) throw new Error("redis-server exited");
  } catch (err) {
    if (spawned.child.pid !== undefined) tryKill(spawned.child.pid, "SIGKILL");
    await spawned.exited;
    throw new Error(`redis-server failed to start on port ${port}:\n${spawned.output()}`, {
      cause: err,
    });
  }
  return spawned;
}

/**
 * Starts a redis-server on a free loopback port with AOF `always` in a fresh temporary
 * directory, and resolves once it answers PING. Retries with another port (3 tries)
 * when the start fails, since the free port may have been taken in between.
 */
export async function startRedisServer(
  options: StartRedisServerOptions = {},
): Promise<RedisServer> {
  const binary = options.binary ?? "redis-server";
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const extra = options.args ?? [];
  const dir = await mkdtemp(join(tmpdir(), "gatepay-redis-"));

  let current: Spawned | undefined;
  let port = 0;
  let lastError: unknown;
  for (let tryNo = 0; tryNo < 3 && !current; tryNo++) {
    port = await findFreePort();
    try {
      current = await launch(binary, port, dir, readyTimeoutMs, extra, options.password);
    } catch (err) {
      lastError = err;
    }
  }
  if (!current) {
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  const url = `redis://127.0.0.1:${port}`;
  let closed = false;
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    const running = current;
    if (!running) return;
    if (running.child.pid !== undefined) tryKill(running.child.pid, signal);
    await running.exited;
    current = undefined;
  };

  return {
    url,
    port,
    dir,
    get pid() {
      return current?.child.pid;
    },
    stop,
    async restart() {
      if (closed) throw new Error("redis-server was closed");
      await stop("SIGKILL");
      current = await launch(binary, port, dir, readyTimeoutMs, extra, options.password);
    },
    async close() {
      if (closed) return;
      closed = true;
      await stop("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One section of `INFO` from the server at `url`, parsed (a connection of its own). */
export async function serverInfo(url: string, section: string): Promise<Record<string, string>> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return parseInfo(await redis.info(section));
  } finally {
    redis.disconnect();
  }
}
