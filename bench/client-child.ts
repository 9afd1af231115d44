/**
 * Child-process entry of the HTTP client benchmark: one GatePay call pair per refund (a
 * signed order-refund POST, then a signed v2 details GET) through one way of calling,
 * `concurrency` at a time, in a process of its own.
 *
 * Request: `{ variant, sandboxUrl, tag, warmup, count, rounds, concurrency }`; the orders
 * `<tag>w…` and `<tag><round>…` must be seeded. Answer: `{ rounds: [{ pairsPerSecond,
 * cpuMsPerPair }] }`.
 */
import { randomBytes } from "node:crypto";
import { ENDPOINTS } from "../src/gatepay/endpoints.js";
import { GatePayClient } from "../src/gatepay/client.js";
import { buildSignedHeaders } from "../src/gatepay/signing.js";
import { BENCH_CLIENT_ID, BENCH_SECRET, makeRefunds, type BenchRefund } from "./refunds.js";

/** Ways of making the two calls. */
export const CLIENT_VARIANTS = [
  "bare undici.request",
  "bare global fetch",
  "bare ky (global fetch + keep-alive Agent)",
  "GatePayClient, shipped transport (undici)",
  "GatePayClient, ky transport",
  "GatePayClient, fetch option: global fetch",
  "GatePayClient, fetch option: undici fetch + keep-alive Agent",
] as const;
export type ClientVariant = (typeof CLIENT_VARIANTS)[number];

/** What the parent asks for. */
export interface ClientChildRequest {
  variant: ClientVariant;
  sandboxUrl: string;
  tag: string;
  warmup: number;
  count: number;
  rounds: number;
  concurrency: number;
}

/** One measured round. */
export interface ClientRound {
  pairsPerSecond: number;
  cpuMsPerPair: number;
}

type Pair = (r: BenchRefund) => Promise<void>;

/**
 * The project's signed header set (buildSignedHeaders) with a cheap 32-hex-character nonce,
 * so the bench signs exactly as the client does.
 */
function signed(body: string): Record<string, string> {
  return buildSignedHeaders({
    clientId: BENCH_CLIENT_ID,
    secret: BENCH_SECRET,
    body,
    nonce: randomBytes(16).toString("hex"),
  });
}

function check(status: number, text: string): void {
  const json = JSON.parse(text) as { status?: string };
  if (status !== 200 || json.status !== "SUCCESS")
    throw new Error(`HTTP ${status} ${text.slice(0, 100)}`);
}

async function makePair(req: ClientChildRequest): Promise<Pair> {
  const createUrl = `${req.sandboxUrl}${ENDPOINTS.orderRefund.merchantPath}`;
  const detailsUrl = `${req.sandboxUrl}${ENDPOINTS.refundDetails.merchantPath}?refundRequestId=`;
  const bodyOf = (r: BenchRefund) =>
    JSON.stringify({
      refundRequestId: r.refundRequestId,
      prepayId: r.prepayId,
      refundAmount: r.refundAmount,
    });

  switch (req.variant) {
    case "bare undici.request": {
      const { Agent, request } = await import("undici");
      const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
      return async (r) => {
        const body = bodyOf(r);
        const a = await request(createUrl, {
          method: "POST",
          headers: signed(body),
          body,
          dispatcher,
        });
        check(a.statusCode, await a.body.text());
        const b = await request(detailsUrl + r.refundRequestId, {
          method: "GET",
          headers: signed(""),
          dispatcher,
        });
        check(b.statusCode, await b.body.text());
      };
    }
    case "bare global fetch":
      return async (r) => {
        const body = bodyOf(r);
        const a = await fetch(createUrl, { method: "POST", headers: signed(body), body });
        check(a.status, await a.text());
        const b = await fetch(detailsUrl + r.refundRequestId, {
          method: "GET",
          headers: signed(""),
        });
        check(b.status, await b.text());
      };
    case "bare ky (global fetch + keep-alive Agent)": {
      // ky as the ky transport configures it, without the client: retries and timeout
      // off, a keep-alive Agent as the global fetch's dispatcher, signed in a hook.
      const { default: ky } = await import("ky");
      const { Agent } = await import("undici");
      const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
      const k = ky.create({
        retry: 0,
        timeout: false,
        throwHttpErrors: false,
        ...({ dispatcher } as object),
      });
      return async (r) => {
        const body = bodyOf(r);
        const a = await k.post(createUrl, { body, headers: signed(body) });
        check(a.status, await a.text());
        const b = await k.get(detailsUrl + r.refundRequestId, { headers: signed("") });
        check(b.status, await b.text());
      };
    }
    default: {
      let fetchOption: typeof globalThis.fetch | undefined;
      if (req.variant === "GatePayClient, fetch option: global fetch") {
        fetchOption = (input, init) => globalThis.fetch(input, init);
      } else if (req.variant === "GatePayClient, fetch option: undici fetch + keep-alive Agent") {
        const { Agent, fetch: undiciFetch } = await import("undici");
        const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
        fetchOption = (input, init) =>
          undiciFetch(input as string, {
            ...(init as object),
            dispatcher,
          });
      }
      const client = new GatePayClient({
        baseUrl: req.sandboxUrl,
        clientId: BENCH_CLIENT_ID,
        secretKey: BENCH_SECRET,
        httpClient: req.variant === "GatePayClient, ky transport" ? "ky" : "undici",
        ...(fetchOption ? { fetch: fetchOption } : {}),
      });
      return async (r) => {
        await client.createOrderRefund({
          refundRequestId: r.refundRequestId,
          prepayId: r.prepayId,
          refundAmount: r.refundAmount,
        });
        const d = await client.getRefundDetails(r.refundRequestId);
        if (!d) throw new Error("refund not found");
      };
    }
  }
}

async function runAll(
  pair: Pair,
  refunds: readonly BenchRefund[],
  concurrency: number,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < refunds.length) await pair(refunds[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

process.once("message", (req: ClientChildRequest) => {
  (async () => {
    const pair = await makePair(req);
    await runAll(pair, makeRefunds(`${req.tag}w`, req.warmup), req.concurrency);
    const rounds: ClientRound[] = [];
    for (let r = 0; r < req.rounds; r++) {
      const refunds = makeRefunds(`${req.tag}${r}`, req.count);
      const cpu = process.cpuUsage();
      const started = performance.now();
      await runAll(pair, refunds, req.concurrency);
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(cpu);
      rounds.push({
        pairsPerSecond: (req.count * 1000) / elapsed,
        cpuMsPerPair: (used.user + used.system) / 1000 / req.count,
      });
    }
    return rounds;
  })()
    .then((rounds) => process.send?.({ rounds }, () => process.exit(0)))
    .catch((err: unknown) =>
      process.send?.({ error: err instanceof Error ? err.message : String(err) }, () =>
        process.exit(1),
      ),
    );
});
