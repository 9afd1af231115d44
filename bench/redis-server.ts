/**
 * A dedicated, throwaway `redis-server` for benchmarks and the commands-per-refund guard:
 * its own free loopback port, no persistence (`--save "" --appendonly no`), so INFO
 * counters and memory see only the traffic under measurement and the shared Redis is
 * never touched. The process is killed (by its pid) on `close()` and on process exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { freePort, redisAnswers } from "../src/cli/demo/find-redis.js";

/** A running benchmark Redis. */
export interface BenchRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** `redis-server --version` text, e.g. `7.0.15`. */
  readonly version: string;
  /** SIGKILLs the server (by pid) and resolves once it has exited. Idempotent. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
});

/**
 * Starts `redis-server` on a free port and resolves once it answers PING (within
 * `readyTimeoutMs`, default 10 s). Retries on another port up to 3 times: the free port
 * may be taken between the probe and the bind.
 */
export async function startBenchRedis(
  options: {
    binary?: string;
    readyTimeoutMs?: number;
    /** More server arguments, after the defaults (a later directive wins: `--appendonly yes`). */
    args?: readonly string[];
  } = {},
): Promise<BenchRedis> {
  const binary = options.binary ?? "redis-server";
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let lastOutput = "";
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const child = spawn(
      binary,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--logfile",
        "",
        ...(options.args ?? []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    live.add(child);
    let output = "";
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString("utf8")).slice(-4_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let exited = false;
    const gone = new Promise<void>((resolve) => {
      const done = (): void => {
        exited = true;
        live.delete(child);
        resolve();
      };
      child.once("exit", done);
      child.once("error", done);
    });
    const url = `redis://127.0.0.1:${port}`;
    const deadline = Date.now() + readyTimeoutMs;
    while (!exited && Date.now() < deadline && !(await redisAnswers(url, 500))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!exited && child.pid !== undefined && (await redisAnswers(url, 500))) {
      const pid = child.pid;
      const probe = new Redis(url);
      const info = await probe.info("server");
      probe.disconnect();
      const valkey = /valkey_version:(\S+)/.exec(info)?.[1];
      const version = valkey
        ? `Valkey ${valkey}`
        : (/redis_version:(\S+)/.exec(info)?.[1] ?? "unknown");
      let closing: Promise<void> | undefined;
      return {
        url,
        port,
        pid,
        version,
        close() {
          closing ??= (async () => {
            if (!exited) {
              try {
                process.kill(pid, "SIGKILL");
              } catch {
                // Already gone.
              }
            }
            await gone;
          })();
          return closing;
        },
      };
    }
    lastOutput = output;
    if (!exited && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    await gone;
  }
  throw new Error(`redis-server did not start:\n${lastOutput}`);
}
