/**
 * The queue dashboard in a real browser: Debian's headless chromium (through
 * playwright-core, test/helpers/browser.ts) loads `/admin/queues` from the real server,
 * answers the server's HTTP auth challenge with the token (as a person would in the
 * browser's prompt), waits for the React app to render both queues with its
 * translations, and takes a screenshot. A context that gives no credentials sees only
 * the 401 body.
 *
 * Skipped where /usr/bin/chromium is absent, except in CI, where `.ci/run` installs it
 * and its absence fails the test.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { createLogger } from "../../src/logger.js";
import { DASHBOARD_PATH, startHttpServer } from "../../src/http/server.js";
import { createMetrics } from "../../src/worker/metrics.js";
import { requireChromium, launchBrowser } from "../helpers/browser.js";
import { startPipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "dashboard-token-8e21c4a7f0b9";

describe("the queue dashboard in headless chromium", () => {
  it(
    "renders both queues behind the token and takes a screenshot",
    { timeout: 90_000 },
    async (ctx) => {
      requireChromium(ctx);
      const p = await startPipeline({
        name: "http-dashboard-browser",
        workers: false,
        env: { API_TOKEN: TOKEN },
      });
      await p.producer.enqueue({ refundRequestId: "UI1", prepayId: "5100", refundAmount: "1" });
      const server = await startHttpServer({
        config: p.config,
        producer: p.producer,
        logger: createLogger({ level: "silent" }),
        metrics: createMetrics({ defaultMetrics: false }),
        port: 0,
        host: "127.0.0.1",
      });
      onTestFinished(() => server.close());
      const browser = await launchBrowser("http-dashboard-browser");
      const dashboardUrl = `${server.url}${DASHBOARD_PATH}/`;

      // Without credentials the browser refuses the challenge: no page of the dashboard
      // loads (chromium ends the navigation with ERR_INVALID_AUTH_CREDENTIALS).
      const anonymous = await (await browser.newContext()).newPage();
      const refused = await anonymous.goto(dashboardUrl).then(
        (response) => `HTTP ${response?.status()}`,
        (err: Error) => err.message,
      );
      expect(refused).toMatch(/ERR_INVALID_AUTH_CREDENTIALS|HTTP 401/);

      // With the token, answered only to this server's origin: the app loads its scripts,
      // translations and queue data.
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        httpCredentials: { username: "operator", password: TOKEN, origin: server.url },
      });
      const page = await context.newPage();
      await page.goto(dashboardUrl);
      const text = await waitFor(
        async () => {
          const t = await page.locator("body").innerText();
          const rendered =
            t.includes("GatePay refunds") &&
            t.includes("refund-submit") &&
            t.includes("refund-poll") &&
            /\b1 Job\b/.test(t) &&
            !t.includes("QUEUE.STATUS.");
          return rendered ? t : null;
        },
        "the dashboard to render both queues, the waiting job and its translations",
        30_000,
        200,
      );
      expect(text).not.toMatch(/Loading\.\.\./);

      const png = await page.screenshot();
      expect(png.subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      );
      // IHDR: width and height of the viewport; a rendered page is far larger than a blank one.
      expect(png.readUInt32BE(16)).toBe(1280);
      expect(png.readUInt32BE(20)).toBe(900);
      expect(png.length).toBeGreaterThan(15_000);
    },
  );
});
