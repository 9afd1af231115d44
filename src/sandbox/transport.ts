/**
 * The sandbox's HTTP transport: a plain node:http server with keep-alive, the request
 * body read as text (capped), the split between admin routes (under `/__sandbox`) and
 * GatePay paths, and the writing of answers. What an answer says is the routes' business.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { failure, failureBody } from "./envelope.js";

/** One HTTP answer: status, JSON body text and any extra headers. */
export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Where the transport hands each request once its body is read. */
export interface SandboxHandlers {
  /** An admin request; `route` is the path after `/__sandbox` (e.g. `/ledger`). */
  admin(method: string, route: string, raw: string): Answer;
  /**
   * Any other path. The handler answers through {@link send}, or destroys the socket to
   * inject a fault.
   */
  gatepay(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: string,
    query: string,
  ): Promise<void>;
}

/** Bodies above this are refused with 413 and the connection closed. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Admin routes live under this path prefix. */
export const ADMIN_PREFIX = "/__sandbox";

/** The listening server. */
export class SandboxTransport {
  private readonly server: Server;

  constructor(private readonly handlers: SandboxHandlers) {
    this.server = createServer({ keepAlive: true }, (req, res) => {
      this.onRequest(req, res).catch(() => {
        // Never echo internals (they could hold request data); a 500 with 300000 is
        // what GatePay answers for a system error (gatepay-api.md §8.1).
        if (!res.headersSent && !res.destroyed) {
          send(res, {
            status: 500,
            body: failureBody(failure("300000", "internal sandbox error")),
          });
        }
      });
    });
  }

  /** Listens on `host:port`; resolves with the base URL (no trailing slash) and the port. */
  listen(port: number, host: string): Promise<{ url: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const addr = this.server.address() as AddressInfo;
        const h = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
        resolve({ url: `http://${h}:${addr.port}`, port: addr.port });
      });
    });
  }

  /** Stops listening and closes every connection, idle or not. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive sockets would hold close() open until they time out.
      this.server.closeAllConnections();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q + 1);
    const raw = await readBody(req);
    if (raw === undefined) {
      res.writeHead(413, { Connection: "close" }).end();
      return;
    }
    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
      send(res, this.handlers.admin(req.method ?? "GET", path.slice(ADMIN_PREFIX.length), raw));
      return;
    }
    await this.handlers.gatepay(req, res, path, raw, query);
  }
}

/** Writes `a` as a JSON answer with its length; nothing when the socket is gone. */
export function send(res: ServerResponse, a: Answer): void {
  if (res.destroyed) return;
  res.writeHead(a.status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(a.body)),
    ...a.headers,
  });
  res.end(a.body);
}

/** The body as text; undefined when it exceeds {@link MAX_BODY_BYTES}. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new Error("client went away before the body ended"));
    });
  });
}
