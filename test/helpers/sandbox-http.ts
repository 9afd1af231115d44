/**
 * Talking to the sandbox over real HTTP in tests: a signed `call`, the admin routes, the
 * orders it knows, and a started sandbox.
 */
import { buildSignedHeaders } from "../../src/gatepay/signing.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";

export const CLIENT_ID = "sandbox-client";
export const SECRET = "sandbox-secret-☃";
export const ORDER = {
  prepayId: "1991810932510167040",
  amount: "10.5",
  currency: "USDT",
  kind: "order",
} as const;
export const CONVERT = {
  prepayId: "77001",
  amount: "100",
  currency: "USDT",
  kind: "convert",
  payCurrency: "BTC",
  payAmount: "0.0015",
} as const;

export interface CallOptions {
  method?: "GET" | "POST";
  body?: unknown;
  onBehalfOf?: string;
  clientId?: string;
  secret?: string;
  timestampMs?: number;
  nonce?: string;
  /** Header overrides applied after signing; `undefined` removes a header. */
  headers?: Record<string, string | undefined>;
}

export interface Reply {
  status: number;
  headers: Headers;
  json: {
    status: string;
    code: string;
    label?: string;
    errorMessage: string;
    data: Record<string, unknown>;
  };
}

export async function call(sb: Sandbox, path: string, o: CallOptions = {}): Promise<Reply> {
  const method = o.method ?? "POST";
  const body =
    method === "GET" ? "" : typeof o.body === "string" ? o.body : JSON.stringify(o.body ?? {});
  const headers: Record<string, string> = buildSignedHeaders({
    clientId: o.clientId ?? CLIENT_ID,
    secret: o.secret ?? SECRET,
    body,
    onBehalfOf: o.onBehalfOf,
    ...(o.timestampMs !== undefined ? { timestampMs: o.timestampMs } : {}),
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
  });
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers,
    ...(method === "GET" ? {} : { body }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Reply["json"] };
}

export const refund = (id: string, amount: string, prepayId: string = ORDER.prepayId) => ({
  refundRequestId: id,
  prepayId,
  refundAmount: amount,
  refundReason: "test",
});

export async function admin(sb: Sandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sb.url}/__sandbox${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A sandbox on port 0 that knows {@link ORDER} and {@link CONVERT} and never settles by itself. */
export async function startTestSandbox(extra: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return startSandbox({
    clientId: CLIENT_ID,
    secretKey: SECRET,
    orders: [ORDER, CONVERT],
    settleDelayMs: Infinity,
    ...extra,
  });
}
