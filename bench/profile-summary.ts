/**
 * Summarises a V8 CPU profile: self time by who is responsible for it, as a share of the
 * busy (non-idle) time. Owners are npm packages, project files, the global fetch (Node's
 * bundled undici) and the garbage collector; time in native code or in other Node
 * internals (streams, sockets, buffers, timers…) is charged to the nearest owner up its
 * synchronous call stack (a socket write called by ioredis counts as ioredis).
 */
import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One row of a summary. */
export interface ProfileShare {
  where: string;
  /** Self time, ms. */
  ms: number;
  /** Share of the busy time, 0–1. */
  share: number;
}

/** Where a frame's code lives, and whether that place owns its time. */
export function frameGroup(url: string, functionName: string): { group: string; owner: boolean } {
  if (url === "") {
    if (functionName === "(garbage collector)") return { group: "GC", owner: true };
    if (functionName === "(idle)") return { group: "(idle)", owner: true };
    if (functionName === "(program)") return { group: "(native, unattributed)", owner: true };
    return { group: `native: ${functionName || "(anonymous)"}`, owner: false };
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return { group: `npm: ${pkg[1]}`, owner: true };
  const project = /\/(src|bench)\/(.+)$/.exec(url);
  if (project && url.startsWith("file://")) {
    return { group: `project: ${project[1]}/${project[2]}`, owner: true };
  }
  if (url.startsWith("node:internal/deps/undici")) {
    return { group: "node: global fetch (bundled undici)", owner: true };
  }
  const internal = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (internal) return { group: `node: ${internal[1]}`, owner: false };
  return { group: url, owner: false };
}

/** Self time by group, largest first, over the busy time of `profile`. */
export function summarizeProfile(profile: CpuProfile): ProfileShare[] {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const owners = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    let group = "?";
    if (node) {
      const own = frameGroup(node.callFrame.url, node.callFrame.functionName);
      group = own.group;
      if (!own.owner) {
        for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
          const a = byId.get(up);
          const g = a && frameGroup(a.callFrame.url, a.callFrame.functionName);
          if (g?.owner && g.group !== "(native, unattributed)") {
            group = g.group;
            break;
          }
        }
      }
    }
    owners.set(id, group);
    return group;
  };
  const ms = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const group = ownerOf(id);
    if (group === "(idle)") return;
    busy += dt;
    ms.set(group, (ms.get(group) ?? 0) + dt);
  });
  return [...ms.entries()]
    .map(([where, t]) => ({ where, ms: t, share: busy > 0 ? t / busy : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/** Reads a `.cpuprofile` file and summarises it. */
export async function summarizeProfileFile(path: string): Promise<ProfileShare[]> {
  return summarizeProfile(JSON.parse(await readFile(path, "utf8")) as CpuProfile);
}
