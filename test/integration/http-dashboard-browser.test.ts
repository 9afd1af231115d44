/**
 * The queue dashboard in a real browser: Debian's headless chromium loads
 * `/admin/queues` from the real server, answers the server's HTTP auth challenge with
 * the token (as a person would in the browser's prompt), waits for the React app to
 * render both queues with its translations, and takes a screenshot. A second tab that
 * gives no credentials sees only the 401 body.
 *
 * Driven over the DevTools protocol (undici's WebSocket): embedding credentials in the
 * URL instead would break the app's own `fetch` calls, which refuse URLs with userinfo.
 * Host resolution is pinned to loopback, so no request (or token) leaves the machine.
 *
 * Skipped, saying why, where /usr/bin/chromium is absent (CI installs nothing it does
 * not need; `apt-get install chromium` enables it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { createLogger } from "../../src/logger.js";
import { DASHBOARD_PATH, startHttpServer } from "../../src/http/server.js";
import { createMetrics } from "../../src/worker/metrics.js";
import { startPipeline } from "../helpers/pipeline.js";
import { waitFor } from "../helpers/wait-for.js";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "dashboard-token-8e21c4a7f0b9";

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A minimal DevTools protocol client: commands with replies, and event listeners. */
class Cdp {
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  readonly #listeners = new Set<(msg: CdpMessage) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener("message", (event) => {
      const msg = JSON.parse(String(event.data)) as CdpMessage;
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
        return;
      }
      for (const l of this.#listeners) l(msg);
    });
  }

  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)));
    });
    return new Cdp(ws);
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) }));
    });
  }

  on(listener: (msg: CdpMessage) => void): void {
    this.#listeners.add(listener);
  }

  close(): void {
    this.ws.close();
  }
}

/** Starts headless chromium with a DevTools endpoint; stops it after the test. */
async function launchChromium(): Promise<Cdp> {
  const profile = await mkdtemp(join(tmpdir(), "gatepay-chromium-"));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--window-size=1280,900",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const browser: { cdp?: Cdp } = {};
  onTestFinished(async () => {
    await browser.cdp?.send("Browser.close").catch(() => undefined);
    browser.cdp?.close();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    if (child.exitCode === null && child.signalCode === null) await exited;
    clearTimeout(timer);
    await rm(profile, { recursive: true, force: true });
  });

  let stderr = "";
  const wsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`chromium gave no DevTools URL in 30 s:\n${stderr.slice(-2000)}`)),
      30_000,
    );
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}) before listening:\n${stderr.slice(-2000)}`));
    });
  });
  browser.cdp = await Cdp.connect(wsUrl);
  return browser.cdp;
}

/** Opens a tab whose requests to `origin` answer HTTP auth challenges with `password`. */
async function openTab(
  cdp: Cdp,
  origin: string,
  password: string | undefined,
): Promise<{ sessionId: string; challenges: () => number }> {
  const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId, flatten: true })) as {
    sessionId: string;
  };
  let challenges = 0;
  cdp.on((msg) => {
    if (msg.sessionId !== sessionId || !msg.params) return;
    const requestId = msg.params["requestId"];
    if (msg.method === "Fetch.requestPaused") {
      void cdp.send("Fetch.continueRequest", { requestId }, sessionId).catch(() => undefined);
    } else if (msg.method === "Fetch.authRequired") {
      challenges += 1;
      const challenge = msg.params["authChallenge"] as { origin: string; scheme: string };
      const provide = password !== undefined && challenge.origin === origin;
      void cdp
        .send(
          "Fetch.continueWithAuth",
          {
            requestId,
            authChallengeResponse: provide
              ? { response: "ProvideCredentials", username: "operator", password }
              : { response: "CancelAuth" },
          },
          sessionId,
        )
        .catch(() => undefined);
    }
  });
  await cdp.send(
    "Fetch.enable",
    { patterns: [{ urlPattern: `${origin}/*` }], handleAuthRequests: true },
    sessionId,
  );
  await cdp.send("Page.enable", {}, sessionId);
  await cdp.send(
    "Emulation.setDeviceMetricsOverride",
    { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false },
    sessionId,
  );
  return { sessionId, challenges: () => challenges };
}

async function pageText(cdp: Cdp, sessionId: string): Promise<string> {
  const { result } = (await cdp.send(
    "Runtime.evaluate",
    { expression: "document.body ? document.body.innerText : ''", returnByValue: true },
    sessionId,
  )) as { result: { value?: unknown } };
  return typeof result.value === "string" ? result.value : "";
}

describe("the queue dashboard in headless chromium", () => {
  it("renders both queues behind the token and takes a screenshot", async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      ctx.skip(`${CHROMIUM} is not installed (apt-get install chromium); browser check skipped`);
    }
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
    const cdp = await launchChromium();
    const dashboardUrl = `${server.url}${DASHBOARD_PATH}/`;

    // Without credentials: the browser gets the 401 body and nothing of the dashboard.
    const anonymous = await openTab(cdp, server.url, undefined);
    await cdp.send("Page.navigate", { url: dashboardUrl }, anonymous.sessionId);
    const refused = await waitFor(async () => {
      const text = await pageText(cdp, anonymous.sessionId);
      return text.includes("UNAUTHORIZED") ? text : null;
    }, "the 401 body in the anonymous tab");
    expect(refused).not.toContain("refund-submit");
    expect(anonymous.challenges()).toBeGreaterThan(0);

    // With the token: the app loads its scripts, translations and queue data.
    const operator = await openTab(cdp, server.url, TOKEN);
    await cdp.send("Page.navigate", { url: dashboardUrl }, operator.sessionId);
    const text = await waitFor(
      async () => {
        const t = await pageText(cdp, operator.sessionId);
        const rendered =
          t.includes("GatePay refunds") &&
          t.includes("refund-submit") &&
          t.includes("refund-poll") &&
          /\b1 Job\b/.test(t) &&
          !t.includes("QUEUE.STATUS.");
        return rendered ? t : null;
      },
      "the dashboard to render both queues, the waiting job and its translations",
      20_000,
      200,
    );
    expect(text).not.toMatch(/Loading\.\.\./);
    expect(operator.challenges()).toBeGreaterThan(0);

    const { data } = (await cdp.send(
      "Page.captureScreenshot",
      { format: "png" },
      operator.sessionId,
    )) as { data: string };
    const dir = await mkdtemp(join(tmpdir(), "gatepay-dashboard-"));
    const file = join(dir, "dashboard.png");
    await writeFile(file, Buffer.from(data, "base64"));
    onTestFinished(async ({ task }) => {
      if (task.result?.state === "fail") console.warn(`dashboard screenshot kept at ${file}`);
      else await rm(dir, { recursive: true, force: true });
    });
    const png = await readFile(file);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    // IHDR: width and height of the viewport; a rendered page is far larger than a blank one.
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(png.readUInt32BE(20)).toBe(900);
    expect(png.length).toBeGreaterThan(15_000);
  });
});
