/**
 * Runs `gatepay-refunds` as a real child process (`node --import tsx src/cli.ts …`) for
 * the CLI end-to-end tests, with a minimal environment (nothing leaks in from the test
 * runner's), captured output, and a registry so every child can be killed after a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { withTimeout } from "../../src/with-timeout.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** One running CLI process. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (`null` when killed by a signal it did not handle). */
  readonly exited: Promise<number | null>;
  /**
   * Resolves with the first match of `pattern` in stdout; rejects when the process exits
   * first or `timeoutMs` passes (with both streams in the message).
   */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** The outcome of a command that ran to its end. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const live = new Set<CliProcess>();

/** The environment of a child: PATH, HOME and TMPDIR from ours, then `vars`. */
export function cliEnv(vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...vars };
}

/**
 * Starts `gatepay-refunds <args>` with exactly `env` (see {@link cliEnv}). Standard input
 * is `stdin` when given (then closed), else empty.
 */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string>,
  stdin?: string,
): CliProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  // A child that exits without reading its input must not fail the test with EPIPE.
  child.stdin.on("error", () => undefined);
  child.stdin.end(stdin ?? "");
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  const proc: CliProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (!m) return false;
          done();
          resolve(m);
          return true;
        };
        const onExit = () => {
          if (check()) return;
          done();
          reject(new Error(`process exited before ${pattern}\nstdout: ${out}\nstderr: ${err}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} after ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          child.stdout?.off("data", check);
          child.off("close", onExit);
        };
        if (check()) return;
        child.stdout?.on("data", check);
        child.once("close", onExit);
      });
    },
  };
  live.add(proc);
  void exited.finally(() => live.delete(proc)).catch(() => undefined);
  return proc;
}

/** Runs `gatepay-refunds <args>` to its end (killed after `timeoutMs`), with `stdin` if given. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 45_000,
  stdin?: string,
): Promise<CliResult> {
  const proc = spawnCli(args, env, stdin);
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), timeoutMs);
  try {
    const code = await proc.exited;
    return { code, stdout: proc.stdout(), stderr: proc.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves with the exit code of `proc`, or rejects after `timeoutMs` (and kills it), so
 * a process that ignores its signal fails the test instead of hanging it.
 */
export function exitCodeWithin(proc: CliProcess, timeoutMs: number): Promise<number | null> {
  return withTimeout(proc.exited, timeoutMs, () => {
    proc.child.kill("SIGKILL");
    return new Error(
      `still running after ${timeoutMs} ms\nstdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`,
    );
  });
}

/** Kills every child still running (SIGKILL) and waits for them to go. For `afterEach`. */
export async function killAllCli(): Promise<void> {
  const procs = [...live];
  for (const p of procs) p.child.kill("SIGKILL");
  await Promise.allSettled(procs.map((p) => p.exited));
}
