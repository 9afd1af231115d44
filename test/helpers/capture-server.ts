/**
 * A tiny real HTTP server for tests: it records every request exactly as received
 * (method, url, headers, raw body bytes) and answers from a scripted queue.
 *
 * Listens on 127.0.0.1 port 0, so files can run in parallel. Nothing is stubbed: the
 * code under test talks real HTTP over loopback, and tests assert on what arrived.
 *
 * ```ts
 * const server = await startCaptureServer();
 * server.enqueue({ status: 500, body: { status: "FAIL", code: "300000" } }, { drop: true });
 * // … call the client with server.url …
 * const [first] = await server.waitForRequests(1);
 * await server.close();
 * ```
 */
import { createServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the server received it. */
export interface CapturedRequest {
  method: string;
  /** Path and query, as sent on the request line. */
  url: string;
  /** Node's parsed headers: names lower-cased. */
  headers: IncomingHttpHeaders;
  /** The body bytes exactly as received. */
  rawBody: Buffer;
  /** `rawBody` decoded as UTF-8. */
  body: string;
  /** `Date.now()` when the body had been fully read. */
  receivedAtMs: number;
}

/**
 * One scripted answer, consumed in order, one per request.
 * - a reply: `status` (default 200), `headers`, `body` (a string is sent as is, anything
 *   else as JSON), `delayMs` before answering (use a large value to force a client timeout);
 * - `{ drop: true }`: close the socket without answering, after `delayMs` (default 0),
 *   once the request body has been read; with `reset: true` it sends a TCP RST instead
 *   (the client then sees ECONNRESET rather than "other side closed").
 */
export type ScriptedResponse =
  | {
      drop?: false;
      status?: number;
      headers?: Record<string, string>;
      body?: unknown;
      delayMs?: number;
    }
  | { drop: true; reset?: boolean; delayMs?: number };

/** Options of {@link startCaptureServer}. */
export interface CaptureServerOptions {
  /**
   * Answer when the queue is empty. Default: HTTP 599 with a plain-text body naming the
   * problem, so an unexpected extra request is visible in the test that made it.
   */
  fallback?: ScriptedResponse;
}

/** A running capture server. */
export interface CaptureServer {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every request received so far, in arrival order. */
  readonly requests: readonly CapturedRequest[];
  /** Appends answers to the queue. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** Resolves once at least `count` requests arrived; rejects after `timeoutMs` (default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<CapturedRequest[]>;
  /** Closes the server and every open connection; pending delayed answers are dropped. */
  close(): Promise<void>;
}

const DEFAULT_FALLBACK: ScriptedResponse = {
  status: 599,
  headers: { "content-type": "text/plain" },
  body: "capture-server: no scripted response left for this request",
};

/** Starts a capture server on 127.0.0.1, port 0. */
export async function startCaptureServer(
  options: CaptureServerOptions = {},
): Promise<CaptureServer> {
  const fallback = options.fallback ?? DEFAULT_FALLBACK;
  const queue: ScriptedResponse[] = [];
  const requests: CapturedRequest[] = [];
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closed = false;

  const later = (delayMs: number, fn: () => void): void => {
    if (delayMs <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, delayMs);
    timers.add(timer);
  };

  const answer = (req: IncomingMessage, res: ServerResponse, script: ScriptedResponse): void => {
    if (script.drop === true) {
      later(script.delayMs ?? 0, () => {
        if (script.reset === true) req.socket.resetAndDestroy();
        else req.socket.destroy();
      });
      return;
    }
    later(script.delayMs ?? 0, () => {
      if (res.destroyed) return;
      const body =
        script.body === undefined
          ? ""
          : typeof script.body === "string"
            ? script.body
            : JSON.stringify(script.body);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        ...script.headers,
      };
      res.writeHead(script.status ?? 200, headers);
      res.end(body);
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawBody,
        body: rawBody.toString("utf8"),
        receivedAtMs: Date.now(),
      });
      for (const wake of [...waiters]) wake();
      answer(req, res, queue.shift() ?? fallback);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue(...responses) {
      queue.push(...responses);
    },
    waitForRequests(count, timeoutMs = 5000) {
      if (requests.length >= count) return Promise.resolve([...requests]);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...requests]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `capture-server: expected ${count} request(s) within ${timeoutMs} ms, got ${requests.length}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
