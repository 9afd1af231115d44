import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/cli/demo/run-demo.js";
import { demoData, toCsv } from "../../src/cli/demo/sample-data.js";
import { deleteKeysWithPrefix } from "../../src/store/redis-connection.js";
import { connect, redisUrl } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait-for.js";

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

  it("--keep leaves the sandbox, worker and console running until stopped, then stops them", async () => {
    const lines: string[] = [];
    const io = {
      env: { REDIS_URL: redisUrl() },
      out: (t: string) => lines.push(t),
      err: (t: string) => lines.push(t),
    };
    let stop: () => void = () => undefined;
    const untilStopped = new Promise<void>((r) => (stop = r));
    const done = runDemo(io, { directOrders: 6, convertOrders: 2, keep: true, untilStopped });
    const shown = await waitFor(
      () =>
        /Console {6}(http:\/\/[^\s]+)\n\s+sign in with the API token (\S+)/.exec(lines.join("\n")),
      "the demo to print the console's address",
      60_000,
      100,
    );
    const [, pageUrl, token] = shown;
    const origin = new URL(pageUrl!).origin;
    const login = await fetch(`${origin}/console/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: token!, next: new URL(pageUrl!).pathname }).toString(),
      redirect: "manual",
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const page = await fetch(pageUrl!, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/data-percent[^>]*>100</);

    stop();
    expect(await done, lines.join("\n")).toBe(true);
    await expect(fetch(`${origin}/healthz`)).rejects.toThrow();
    const prefix = /Keys kept under (\{gatepay-demo-[0-9a-f]+\})/.exec(lines.join("\n"))?.[1];
    expect(prefix).toBeDefined();
    await deleteKeysWithPrefix(redisUrl(), prefix!);
  }, 120_000);

  it("ships examples/ (used by docker-compose) generated from the demo's data", () => {
    const data = demoData();
    const read = (p: string) =>
      readFileSync(new URL(`../../examples/${p}`, import.meta.url), "utf8");
    expect(JSON.parse(read("orders.json"))).toEqual(data.orders);
    expect(read("refunds.csv")).toBe(toCsv(data.rows));
  });
});
