/**
 * Child-process entry of the lifecycle benchmark: runs one system's workers (baseline or
 * pipeline) alone in its process, so its throughput and CPU are its own. The parent
 * enqueues; this process reports when the expected number of refunds is final.
 *
 * Messages in: `start` (mode, options, optional CPU profile path: profiled from after
 * start-up until `close`), `expect` (count, timeoutMs), `close`.
 * Messages out: `ready`, `round` (doneAtMs epoch, CPU µs, event-loop utilisation), `closed`,
 * `error`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import {
  startSystemWorkers,
  waitForFinals,
  type LifecycleWorkers,
  type SystemMode,
  type SystemOptions,
} from "./system.js";

type InMessage =
  | { op: "start"; mode: SystemMode; options: SystemOptions; profilePath?: string }
  | { op: "expect"; count: number; timeoutMs: number }
  | { op: "close" };

let workers: LifecycleWorkers | undefined;
let closing: Promise<void> | undefined;
let profiler: { session: Session; path: string } | undefined;

/** Stops the profiler (when running) and writes its profile. */
async function writeProfile(): Promise<void> {
  if (!profiler) return;
  const { session, path } = profiler;
  profiler = undefined;
  const { profile } = await session.post("Profiler.stop");
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(profile));
  session.disconnect();
}

const closeWorkers = (): Promise<void> =>
  (closing ??= (async () => {
    await writeProfile();
    await workers?.close();
  })());

const send = (m: object): void => {
  process.send?.(m);
};

async function handle(m: InMessage): Promise<void> {
  switch (m.op) {
    case "start":
      workers = await startSystemWorkers(m.mode, m.options);
      if (m.profilePath !== undefined) {
        // Profiled from here, so module loading and start-up are not in the profile.
        const session = new Session();
        session.connect();
        await session.post("Profiler.enable");
        await session.post("Profiler.start");
        profiler = { session, path: m.profilePath };
      }
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
