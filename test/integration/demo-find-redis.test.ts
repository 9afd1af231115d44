import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { findRedis, redisAnswers } from "../../src/cli/demo/find-redis.js";
import { redisUrl } from "../helpers/redis.js";

describe("demo: finding a Redis", () => {
  it("uses REDIS_URL when it answers", async () => {
    const found = await findRedis({ REDIS_URL: redisUrl() });
    expect(found).toMatchObject({ url: redisUrl(), source: "REDIS_URL" });
  });

  it("refuses a REDIS_URL that does not answer, with a clear message", async () => {
    await expect(findRedis({ REDIS_URL: "redis://127.0.0.1:1" })).rejects.toThrow(
      /REDIS_URL is set but no Redis answers/,
    );
  });

  it("starts redis-server on a free port when nothing runs, and stops it again", async () => {
    const found = await findRedis(
      { PATH: process.env["PATH"] },
      { localUrl: "redis://127.0.0.1:1" },
    );
    try {
      expect(found.source).toBe("redis-server");
      const client = new Redis(found.url);
      expect(await client.ping()).toBe("PONG");
      client.disconnect();
    } finally {
      await found.stop();
    }
    expect(await redisAnswers(found.url, 300)).toBe(false);
  });

  it("says how to get Redis when there is none", async () => {
    await expect(
      findRedis({ PATH: "/nonexistent" }, { localUrl: "redis://127.0.0.1:1" }),
    ).rejects.toThrow(/apt-get install redis-server/);
  });
});
