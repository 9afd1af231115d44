import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/cli/demo/run-demo.js";
import { demoData, toCsv } from "../../src/cli/demo/sample-data.js";
import { connect, redisUrl } from "../helpers/redis.js";

describe("demo", () => {
  it("runs the whole job on embedded defaults, passes its checks and leaves nothing behind", async () => {
    const lines: string[] = [];
    const io = {
      env: { REDIS_URL: redisUrl() },
      out: (t: string) => lines.push(t),
      err: (t: string) => lines.push(t),
    };
    const ok = await runDemo(io, { directOrders: 12, convertOrders: 3 });
    const text = lines.join("\n");
    expect(ok, text).toBe(true);
    expect(text).toMatch(/Over-refund {2}demo-0012-extra: refused before sending \(OVER_REFUND\)/);
    expect(text).toMatch(/Ledger {7}\d+ refunds for \d+ refund ids: none paid twice/);
    expect(text).toMatch(/Demo OK/);
    const prefix = /\{gatepay-demo-[0-9a-f]+\}/.exec(text);
    // The prefix is not printed unless kept; no demo keys are left in any case.
    expect(prefix).toBeNull();
    const redis = connect();
    try {
      const [, keys] = await redis.scan("0", "MATCH", "{gatepay-demo-*", "COUNT", 10_000);
      expect(keys).toEqual([]);
    } finally {
      await redis.quit();
    }
  }, 60_000);

  it("ships examples/ (used by docker-compose) generated from the demo's data", () => {
    const data = demoData();
    const read = (p: string) =>
      readFileSync(new URL(`../../examples/${p}`, import.meta.url), "utf8");
    expect(JSON.parse(read("orders.json"))).toEqual(data.orders);
    expect(read("refunds.csv")).toBe(toCsv(data.rows));
  });
});
