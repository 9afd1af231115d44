/**
 * A TCP proxy on a free loopback port that forwards to one Redis and can be pointed at
 * another: what a Sentinel-aware client, a DNS switch or a managed Redis endpoint does on a
 * failover. {@link TcpProxy.retarget} closes every open connection (clients reconnect and
 * land on the new target).
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Sends new connections to `port` and drops every open one. */
  retarget(port: number): void;
  /** Drops every open connection without changing the target (data in flight is lost). */
  dropConnections(): void;
  /**
   * Stops forwarding in both directions (open connections stay up, nothing moves): a
   * replication link that lags without breaking. Data held meanwhile is lost on a drop.
   */
  stall(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let stalled = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    if (stalled) for (const s of [client, upstream]) s.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const dropConnections = () => {
    for (const s of open) s.destroy();
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    retarget(next) {
      target = next;
      stalled = false;
      dropConnections();
    },
    stall() {
      stalled = true;
      // Unpiped and paused: nothing is read, so nothing is written to the other side.
      for (const s of open) {
        s.unpipe();
        s.pause();
      }
    },
    dropConnections,
    close() {
      dropConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
