/**
 * The HTTP client's share of the lifecycle cost: the same GatePay call pair per refund
 * (signed POST, signed GET) through bare undici `request`, bare global fetch, and the
 * project's GatePayClient with its shipped transport and with a `fetch` option (global fetch,
 * undici's fetch on a keep-alive Agent). Each variant runs in its own
 * process against the sandbox process; figures are medians of `rounds`.
 */
import {
  CLIENT_VARIANTS,
  type ClientChildRequest,
  type ClientRound,
  type ClientVariant,
} from "./client-child.js";
import { forkOnce } from "./fork-once.js";
import { makeRefunds, seedOrders } from "./refunds.js";
import type { SandboxProcess } from "./sandbox-process.js";
import { median } from "./stats.js";

/** One variant's figures. */
export interface ClientMeasure {
  variant: ClientVariant;
  /** Median call pairs (POST + GET) per second. */
  pairsPerSecond: number;
  /** Median CPU of the calling process per pair, ms. */
  cpuMsPerPair: number;
}

/** Options of {@link runClientBench}. */
export interface ClientBenchOptions {
  sandbox: SandboxProcess;
  count: number;
  warmup: number;
  rounds: number;
  concurrency: number;
  log?: (line: string) => void;
}

let tags = 0;

/** Runs every variant, one process each. */
export async function runClientBench(o: ClientBenchOptions): Promise<ClientMeasure[]> {
  await o.sandbox.reset();
  const out: ClientMeasure[] = [];
  for (const variant of CLIENT_VARIANTS) {
    const tag = `C${++tags}`;
    const orders = [...makeRefunds(`${tag}w`, o.warmup)];
    for (let r = 0; r < o.rounds; r++) orders.push(...makeRefunds(`${tag}${r}`, o.count));
    await seedOrders(o.sandbox.url, orders);
    const req: ClientChildRequest = {
      variant,
      sandboxUrl: o.sandbox.url,
      tag,
      warmup: o.warmup,
      count: o.count,
      rounds: o.rounds,
      concurrency: o.concurrency,
    };
    const { rounds } = await forkOnce<{ rounds: ClientRound[] }>("./client-child.ts", req);
    const m: ClientMeasure = {
      variant,
      pairsPerSecond: median(rounds.map((x) => x.pairsPerSecond)),
      cpuMsPerPair: median(rounds.map((x) => x.cpuMsPerPair)),
    };
    out.push(m);
    o.log?.(
      `  client ${variant}: ${m.pairsPerSecond.toFixed(0)} pairs/s, ${m.cpuMsPerPair.toFixed(3)} ms CPU/pair`,
    );
    await o.sandbox.reset();
  }
  return out;
}
