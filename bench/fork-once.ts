/**
 * Runs a bench child-process entry (through tsx) for one request and resolves with its
 * one answer: the child gets `request` as its first IPC message and sends back a result
 * or `{ error }`.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Forks `entry` (a path relative to bench/), sends `request`, resolves with the answer. */
export function forkOnce<TResult>(
  entry: string,
  request: unknown,
  options: { execArgv?: readonly string[]; timeoutMs?: number } = {},
): Promise<TResult> {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const child = fork(file, [], {
    execArgv: ["--import", "tsx", ...(options.execArgv ?? [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise<TResult>((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${entry} did not answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 600_000);
    child.once("message", (m: { error?: string }) => {
      answered = true;
      clearTimeout(timer);
      if (typeof m.error === "string") reject(new Error(`${entry}: ${m.error}`));
      else resolve(m as TResult);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!answered) reject(new Error(`${entry} exited (${code}) without an answer`));
    });
    child.send(request as object);
  });
}

/** A long-running bench child: its first answer, and a way to stop it. */
export interface ForkedService<TAnswer> {
  answer: TAnswer;
  /** Sends `{ op: "close" }` and resolves once the child has exited (SIGKILL after 10 s). */
  close(): Promise<void>;
}

/** Forks `entry`, sends `request`, resolves once it answers; the child keeps running. */
export async function forkService<TAnswer>(
  entry: string,
  request: unknown,
): Promise<ForkedService<TAnswer>> {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const child = fork(file, [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const answer = await new Promise<TAnswer>((resolve, reject) => {
    child.once("message", (m: { error?: string }) => {
      if (typeof m.error === "string") reject(new Error(`${entry}: ${m.error}`));
      else resolve(m as TAnswer);
    });
    child.once("exit", (code) => reject(new Error(`${entry} exited (${code}) without an answer`)));
    child.send(request as object);
  });
  return {
    answer,
    async close() {
      if (child.connected) child.send({ op: "close" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
