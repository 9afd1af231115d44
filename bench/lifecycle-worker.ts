/**
 * The parent's handle on one lifecycle worker process (bench/lifecycle-child.ts): a typed
 * request/answer channel, plus the progress messages the child sends unasked while it
 * tracks a round.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./lifecycle-child.ts", import.meta.url));

/** What a child answers to `untrack`: the round as that process saw it. */
export interface RoundMessage {
  op: "round";
  /** Epoch ms of the last final this process counted (the round's start when none). */
  doneAtMs: number;
  finals: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  eventLoopUtilization: number;
}

/** Sent unasked while tracking: finals so far this round and when the last one was. */
export interface ProgressMessage {
  op: "progress";
  finals: number;
  atMs: number;
}

export class WorkerChild {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #waiting: ((m: { op: string }) => void) | undefined;
  #failure: Error | undefined;
  /** Called with each progress message. */
  onProgress: ((m: ProgressMessage) => void) | undefined;

  constructor(execArgv: readonly string[]) {
    this.#child = fork(CHILD, [], {
      execArgv: ["--import", "tsx", ...execArgv],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#exited = new Promise((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.on("message", (m: { op: string; message?: string }) => {
      if (m.op === "progress") {
        this.onProgress?.(m as ProgressMessage);
        return;
      }
      if (m.op === "error") this.#failure = new Error(`worker child: ${m.message ?? "?"}`);
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(m);
    });
    this.#child.once("exit", (code) => {
      this.#failure ??= new Error(`worker child exited (${code})`);
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.({ op: "exit" });
    });
  }

  /** Sends `message` and resolves with the child's next answer (progress aside). */
  ask<T extends { op: string }>(message: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#waiting = (m) => {
        if (m.op === "error" || m.op === "exit") reject(this.#failure ?? new Error(m.op));
        else resolve(m as T);
      };
      this.#child.send(message);
    });
  }

  async close(): Promise<void> {
    if (this.#child.connected) {
      await this.ask({ op: "close" }).catch(() => undefined);
    }
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
