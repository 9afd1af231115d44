/**
 * Child-process entry of the lifecycle benchmark: runs one system's workers (baseline or
 * pipeline) alone in its process, so its throughput and CPU are its own. The parent
 * enqueues; this process reports when the expected number of refunds is final.
 *
 * Messages in: `start` (mode, options), `expect` (count, timeoutMs), `close`.
 * Messages out: `ready`, `round` (doneAtMs epoch, CPU µs, event-loop utilisation), `closed`,
 * `error`.
 */
import { performance } from "node:perf_hooks";
import {
  startSystemWorkers,
  waitForFinals,
  type LifecycleWorkers,
  type SystemMode,
  type SystemOptions,
} from "./system.js";

type InMessage =
  | { op: "start"; mode: SystemMode; options: SystemOptions }
  | { op: "expect"; count: number; timeoutMs: number }
  | { op: "close" };

let workers: LifecycleWorkers | undefined;
let closing: Promise<void> | undefined;
const closeWorkers = (): Promise<void> => (closing ??= workers?.close() ?? Promise.resolve());

const send = (m: object): void => {
  process.send?.(m);
};

async function handle(m: InMessage): Promise<void> {
  switch (m.op) {
    case "start":
      workers = await startSystemWorkers(m.mode, m.options);
      send({ op: "ready" });
      return;
    case "expect": {
      if (!workers) throw new Error("not started");
      const target = workers.finals() + m.count;
      const cpu = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      let error: string | undefined;
      try {
        await waitForFinals(workers, target, m.timeoutMs);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const doneAtMs = Date.now();
      const used = process.cpuUsage(cpu);
      send({
        op: "round",
        doneAtMs,
        finals: m.count - (target - workers.finals()),
        cpuUserUs: used.user,
        cpuSystemUs: used.system,
        eventLoopUtilization: performance.eventLoopUtilization(elu).utilization,
        ...(error === undefined ? {} : { error }),
      });
      return;
    }
    case "close":
      await closeWorkers();
      send({ op: "closed" });
      process.disconnect();
      return;
  }
}

process.on("message", (m: InMessage) => {
  handle(m).catch((err: unknown) => {
    send({ op: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
});
process.on("disconnect", () => {
  void closeWorkers().finally(() => process.exit(0));
});
