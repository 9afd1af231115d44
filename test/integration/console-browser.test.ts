/**
 * The operator console in a real browser (Debian's chromium through playwright-core): an
 * operator signs in, watches a batch run through the GatePay sandbox until the page
 * (without reloading) shows 100 %, finds a refund and reads its timeline, and replays a
 * dead refund from the attention list. Also: the page is usable by keyboard and fits a
 * 390 px wide screen. Failure screenshots land in test-results/ (test/helpers/browser.ts).
 *
 * Skipped, saying why, where /usr/bin/chromium is absent, except in CI, where `.ci/run`
 * installs it and its absence fails the test.
 */
import { describe, expect, it } from "vitest";
import { runBatch } from "../../src/producer/batch/index.js";
import type { Page } from "playwright-core";
import { launchBrowser, newPage, requireChromium } from "../helpers/browser.js";
import { ADMIN_TOKEN, API_TOKEN, batchFile, makeDead, startConsole } from "../helpers/console.js";
import { waitFor } from "../helpers/wait-for.js";

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  // Redirected to the login form, which sends the operator back to the page asked for.
  await page.getByLabel("API token").fill(API_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(url);
}

describe("the operator console in headless chromium", () => {
  it(
    "shows a batch reach 100 % live, a refund's timeline, and replays a dead refund",
    { timeout: 120_000 },
    async (ctx) => {
      requireChromium(ctx);
      const { p, server } = await startConsole("console-browser");
      const workers = await p.startWorkers();
      await makeDead(p, "DEAD1");
      // The batch is enqueued with no worker running: the page opens on 0 %, and the
      // workers start only once the operator is watching.
      await workers.close();
      const run = await runBatch(p.producer, await batchFile("BR", 12), { batchId: "browser-b1" });
      await run.dispose();

      const browser = await launchBrowser("console-browser");
      const page = await newPage(browser);
      const batchUrl = `${server.url}/console/batches/browser-b1`;
      await signIn(page, batchUrl);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Batch browser-b1");
      expect(await page.locator("[data-percent]").first().textContent()).toBe("0");
      // A marker on the window proves the page was not reloaded on the way to 100 %.
      await page.evaluate("window.consoleTestMarker = 42");
      await p.startWorkers();
      await page.locator("[data-percent]", { hasText: /^100$/ }).waitFor({ timeout: 45_000 });
      expect(await page.evaluate<unknown>("window.consoleTestMarker")).toBe(42);
      expect(await page.locator("progress[data-progress]").getAttribute("value")).toBe("100");
      expect(await page.locator('[data-count="succeeded"]').textContent()).toBe("12");
      // The invalid row and the report link.
      await expect(page.getByRole("cell", { name: "BRBAD" }).isVisible()).resolves.toBe(true);
      const download = page.waitForEvent("download");
      await page.getByRole("link", { name: /Download the report/ }).click();
      const report = await (await download).path();
      expect(report).toBeTruthy();

      // Find a refund by id and read its history.
      await page.getByLabel("Refund id").fill("BR3");
      await page.getByLabel("Refund id").press("Enter");
      await page.waitForURL(`${server.url}/console/refunds/BR3`);
      const steps = await page.locator("ol.timeline li strong").allTextContents();
      expect(steps[0]).toBe("queued");
      expect(steps.at(-1)).toBe("succeeded");
      expect(steps).toContain("accepted");

      // The attention list: a dead refund, looked up and replayed with the admin token.
      await page.getByRole("link", { name: "Needs attention" }).click();
      await page.getByRole("heading", { name: "Dead (1)" }).waitFor();
      await page.getByRole("link", { name: "Look up and replay DEAD1" }).click();
      await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
      await page.getByRole("button", { name: "Replay DEAD1" }).click();
      await page.getByRole("status").filter({ hasText: "Replayed" }).waitFor();
      const final = await p.waitFinal("DEAD1", 30_000);
      expect(final.state).toBe("succeeded");
      expect(p.sandbox.ledger.refundsFor("DEAD1")).toHaveLength(1);
      await page.reload();
      expect(await page.locator("[data-refund-state]").textContent()).toBe("succeeded");
    },
  );

  it("works by keyboard and fits 390 px", { timeout: 90_000 }, async (ctx) => {
    requireChromium(ctx);
    const { p, server } = await startConsole("console-browser-narrow");
    await p.startWorkers();
    const run = await runBatch(p.producer, await batchFile("NR", 3), { batchId: "narrow-b1" });
    await run.dispose();
    await waitFor(
      async () => (await p.producer.getBatch("narrow-b1")).succeeded === 3,
      "the batch to settle",
    );

    const browser = await launchBrowser("console-browser-narrow");
    const page = await newPage(browser, 390, 844);
    await signIn(page, `${server.url}/console`);
    // The first Tab reaches the skip link; following it moves focus to the content.
    await page.keyboard.press("Tab");
    expect(
      await page.evaluate<unknown>("document.activeElement && document.activeElement.textContent"),
    ).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(
      await page.evaluate<unknown>("document.activeElement && document.activeElement.id"),
    ).toBe("main");
    for (const path of [
      "/console",
      "/console/batches",
      "/console/batches/narrow-b1",
      "/console/refunds/NR1",
      "/console/attention",
    ]) {
      await page.goto(`${server.url}${path}`);
      const overflow = await page.evaluate<number>(
        "document.documentElement.scrollWidth - window.innerWidth",
      );
      expect(overflow, `${path} is wider than the screen`).toBeLessThanOrEqual(0);
    }
    // Navigation by keyboard: focus the "Batches" link and follow it.
    await page.goto(`${server.url}/console`);
    await page.getByRole("link", { name: "Batches" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(`${server.url}/console/batches`);
  });
});
