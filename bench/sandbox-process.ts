/**
 * Parent side of bench/sandbox-child.ts: forks the sandbox into its own Node process
 * (through tsx) and gives back its URL and a way to stop it.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sandboxAdmin } from "./refunds.js";

/** A sandbox running in a child process. */
export interface SandboxProcess {
  readonly url: string;
  readonly pid: number;
  /** Sets the latency every request gets before its answer, ms. */
  setLatency(latencyMs: number): Promise<void>;
  /** Clears the ledger, nonces, counters and faults. */
  reset(): Promise<void>;
  /** Stops the child and resolves once it has exited. Idempotent. */
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./sandbox-child.ts", import.meta.url));

/** Forks the sandbox and resolves once it listens (within 20 s). */
export async function startSandboxProcess(
  env: Record<string, string> = {},
): Promise<SandboxProcess> {
  const child = fork(CHILD, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("sandbox child did not start in 20 s")),
      20_000,
    );
    child.once("message", (m: { url?: string }) => {
      clearTimeout(timer);
      if (typeof m.url === "string") resolve(m.url);
      else reject(new Error("sandbox child sent no url"));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox child exited (${code})`));
    });
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    pid: child.pid ?? 0,
    async setLatency(latencyMs) {
      await sandboxAdmin(url, "POST", "/faults", latencyMs > 0 ? { default: { latencyMs } } : {});
    },
    async reset() {
      await sandboxAdmin(url, "POST", "/reset");
    },
    close() {
      closing ??= (async () => {
        if (child.connected) child.send({ op: "close" });
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
