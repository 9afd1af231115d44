/**
 * Child-process entry of the lifecycle benchmark: runs one system's workers (baseline or
 * pipeline) alone in its process, so its throughput and CPU are its own. The parent
 * enqueues; this process reports when the expected number of refunds is final.
 *
 * Messages in: `start` (mode, options, optional CPU profile path: profiled from after
 * start-up until `close`), `track` (count the finals of a round from now), `untrack`,
 * `close`.
 * Messages out: `ready`, `tracking`, `progress` (unasked while tracking, at most every
 * 5 ms: finals so far and the epoch ms of the last one), `round` (answer to `untrack`:
 * finals, the last one's time, CPU µs, event-loop utilisation), `closed`, `error`. With
 * several worker processes on the same queues the parent adds up their progress.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import {
  startSystemWorkers,
  type LifecycleWorkers,
  type SystemMode,
  type SystemOptions,
} from "./system.js";

type InMessage =
  | { op: "start"; mode: SystemMode; options: SystemOptions; profilePath?: string }
  | { op: "track" }
  | { op: "untrack" }
  | { op: "close" };

/** The round being tracked. */
interface Tracking {
  finals: number;
  lastAtMs: number;
  timer: NodeJS.Timeout | undefined;
  off: () => void;
  cpu: NodeJS.CpuUsage;
  elu: ReturnType<typeof performance.eventLoopUtilization>;
}
let tracking: Tracking | undefined;

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
    case "track": {
      if (!workers) throw new Error("not started");
      const t: Tracking = {
        finals: 0,
        lastAtMs: Date.now(),
        timer: undefined,
        off: () => undefined,
        cpu: process.cpuUsage(),
        elu: performance.eventLoopUtilization(),
      };
      const report = (): void => {
        t.timer = undefined;
        send({ op: "progress", finals: t.finals, atMs: t.lastAtMs });
      };
      t.off = workers.onFinal(() => {
        t.finals += 1;
        t.lastAtMs = Date.now();
        t.timer ??= setTimeout(report, 5);
      });
      tracking = t;
      send({ op: "tracking" });
      return;
    }
    case "untrack": {
      const t = tracking;
      if (!t) throw new Error("not tracking");
      tracking = undefined;
      t.off();
      if (t.timer !== undefined) clearTimeout(t.timer);
      const used = process.cpuUsage(t.cpu);
      send({
        op: "round",
        doneAtMs: t.lastAtMs,
        finals: t.finals,
        cpuUserUs: used.user,
        cpuSystemUs: used.system,
        eventLoopUtilization: performance.eventLoopUtilization(t.elu).utilization,
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
