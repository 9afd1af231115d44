/**
 * Follows the refund service's events stream (`<QUEUE_PREFIX>:events`, README "Events")
 * with a consumer group, so several instances of this backend share the work and an
 * instance that died re-reads what it had not acknowledged.
 *
 * Each entry is applied, then acknowledged: at-least-once, so `apply` must be idempotent
 * (OrderRefunds.apply is, by the event's `version`).
 */
import type { Redis } from "ioredis";

export interface FollowEventsOptions {
  /** A connection of its own: XREADGROUP BLOCK holds it. */
  redis: Redis;
  stream: string;
  group: string;
  consumer: string;
  /** Applies one event; a throw leaves it pending, to be read again. */
  apply(fields: Record<string, string>): Promise<void>;
  blockMs?: number;
}

export interface EventFollower {
  /** Stops after the read in progress (at most `blockMs`) and waits for the loop to end. */
  stop(): Promise<void>;
}

type StreamReply = [stream: string, entries: [id: string, fields: string[]][]][] | null;

export async function followEvents(opts: FollowEventsOptions): Promise<EventFollower> {
  const { redis, stream, group, consumer } = opts;
  try {
    // "$": events from now on; a backend that must see older ones creates it at "0".
    await redis.xgroup("CREATE", stream, group, "$", "MKSTREAM");
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes("BUSYGROUP")) throw err;
  }
  let running = true;

  async function readOnce(from: "0" | ">"): Promise<number> {
    const reply = (await redis.xreadgroup(
      "GROUP",
      group,
      consumer,
      "COUNT",
      100,
      "BLOCK",
      from === ">" ? (opts.blockMs ?? 2_000) : 1,
      "STREAMS",
      stream,
      from,
    )) as StreamReply;
    const entries = reply?.[0]?.[1] ?? [];
    for (const [id, list] of entries) {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < list.length; i += 2) fields[list[i]!] = list[i + 1]!;
      await opts.apply(fields);
      await redis.xack(stream, group, id);
    }
    return entries.length;
  }

  const loop = (async () => {
    // First what this consumer read before and never acknowledged (it crashed), then new.
    while (running && (await readOnce("0")) > 0);
    while (running) await readOnce(">");
  })();

  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
