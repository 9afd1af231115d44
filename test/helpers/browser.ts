/**
 * A real browser for tests: Debian's chromium (`/usr/bin/chromium`, installed by
 * `.ci/run`) driven by playwright-core, which downloads nothing and drives a system
 * browser. Headless, no sandbox (root in CI), no network but loopback: every host but
 * 127.0.0.1 resolves to nothing, and the background services that call home are off.
 * Playwright gives each launch a fresh profile directory.
 *
 * When a test fails, each page it opened is saved as a PNG under `test-results/`
 * (gitignored; CI keeps the folder as the run's artifacts) and the path is printed.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { requireSystemBinary } from "./system-binary.js";
import { onTestFinished } from "vitest";

/** Debian's chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where failure screenshots go. */
export const TEST_RESULTS_DIR = resolve("test-results");

/** True when the browser is installed. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Skips the test when chromium is absent, or fails it in CI (system-binary.ts). */
export function requireChromium(ctx: { skip(note?: string): void }): void {
  requireSystemBinary(ctx, CHROMIUM, "apt-get install chromium");
}

/** Launches chromium for the current test; closed (and failures captured) after it. */
export async function launchBrowser(testName: string): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
  onTestFinished(async ({ task }) => {
    if (task.result?.state === "fail") {
      await mkdir(TEST_RESULTS_DIR, { recursive: true });
      let n = 0;
      for (const context of browser.contexts()) {
        for (const page of context.pages()) {
          n += 1;
          const file = join(TEST_RESULTS_DIR, `${slug(testName)}-${n}.png`);
          await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
          console.warn(`screenshot of the failed test kept at ${file} (${page.url()})`);
        }
      }
    }
    await browser.close();
  });
  return browser;
}

/** A new page of `width`×`height` CSS pixels in a fresh context (no cookies shared). */
export async function newPage(browser: Browser, width = 1280, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 80);
}
