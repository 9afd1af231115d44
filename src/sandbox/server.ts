/**
 * The GatePay sandbox: a real HTTP server (plain node:http, keep-alive) that serves the
 * refund endpoints the client uses, authenticates requests as GatePay does, keeps a
 * ledger, settles refunds after a delay, sends signed PAY_REFUND webhooks and injects
 * faults on request. Admin routes under `/__sandbox` seed orders, read the ledger and
 * counters, and change faults and settings at run time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { compareAmounts } from "../domain/amount.js";
import { GATEPAY_HEADERS } from "../gatepay/signing.js";
import { header, RequestAuthenticator, type AuthFailureKind } from "./auth.js";
import { failure, failureBody, successBody, type SandboxFailure } from "./envelope.js";
import {
  FaultInjector,
  isSandboxOperation,
  SANDBOX_OPERATIONS,
  type FaultAction,
  type FaultConfig,
  type SandboxOperation,
} from "./faults.js";
import {
  SandboxLedger,
  validateSeedOrder,
  type LedgerOrder,
  type LedgerRefund,
  type OrderKind,
  type SeedOrder,
} from "./ledger.js";
import {
  checkStartOptions,
  mergeSettings,
  SANDBOX_DEFAULTS,
  type ResolvedSettings,
  type SandboxOptions,
  type SandboxSettings,
} from "./options.js";
import { deriveStream, type RandomSource } from "./random.js";
import { SANDBOX_ROUTES, type SandboxRoute } from "./routes.js";
import { TimerSet } from "./timers.js";
import { WebhookDispatcher, type WebhookCounters, type WebhookDelivery } from "./webhooks.js";

/** Fault actions that were injected, by kind. */
export type FaultCounts = Record<Exclude<FaultAction, "none">, number>;

/** What the sandbox has seen and done since start (or the last reset). */
export interface SandboxCounters {
  /** Requests routed to each operation, whatever happened to them. */
  requests: Record<SandboxOperation, number>;
  /** Requests refused by authentication, by check. */
  authFailures: Record<AuthFailureKind, number>;
  /** Faults injected, by operation and kind. */
  faults: Record<SandboxOperation, FaultCounts>;
  /** GatePay answers sent, by `code` (`"000000"` for success). */
  answers: Record<string, number>;
  /** Refunds recorded in the ledger (duplicates included). */
  refundsRecorded: number;
  /** Re-posts answered with the original in `idempotent` mode. */
  idempotentReplays: number;
  /** Re-posts refused in `reject` mode. */
  duplicateRejections: number;
  /** Details/query calls answered 400304 because of `detailsLagMs`. */
  detailsLagged: number;
  /** Requests to paths the sandbox does not serve. */
  unknownPaths: number;
  /** Webhook deliveries. */
  webhooks: WebhookCounters;
}

/** Which refunds {@link Sandbox.settleNow} settles, and how. */
export interface SettleNowOptions {
  /** Only the refunds of this refundRequestId; default every refund in progress. */
  refundRequestId?: string;
  /** Forced outcome; default drawn with `failureRatio`. */
  status?: "SUCCESS" | "FAIL";
  /** Failure reason when failing; default the `failureReason` setting. */
  reason?: string;
}

/** Fault controls of a running sandbox. */
export interface SandboxFaults {
  /** Replaces the whole fault configuration. @throws RangeError when invalid. */
  set(config: FaultConfig): void;
  /** The current configuration. */
  get(): FaultConfig;
  /** Queues actions for the next authenticated calls of `operation` (before ratios). */
  script(operation: SandboxOperation, actions: readonly FaultAction[]): void;
  /** Removes every fault and script. */
  clear(): void;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** The live ledger: `order(prepayId)`, `refunds`, `refundsFor(refundRequestId)`. */
  readonly ledger: SandboxLedger;
  readonly faults: SandboxFaults;
  /** A copy of the counters. */
  counters(): SandboxCounters;
  /** Adds paid orders. @throws RangeError on an invalid or conflicting order. */
  seedOrders(orders: SeedOrder | readonly SeedOrder[]): LedgerOrder[];
  /** Settles refunds in progress at once (cancelling their timers); returns them. */
  settleNow(options?: SettleNowOptions): Readonly<LedgerRefund>[];
  /** Every webhook notification and its delivery state. */
  webhookDeliveries(): readonly Readonly<WebhookDelivery>[];
  /** Changes settings at run time. @throws RangeError when invalid. */
  configure(changes: SandboxSettings): void;
  /** The current settings. */
  settings(): ResolvedSettings;
  /**
   * Back to the start state: ledger (re-seeded from `options.orders`), counters, nonces,
   * faults (from `options.faults`, random streams restarted), settings, webhooks.
   */
  reset(): void;
  /** Stops timers and webhook retries, closes every connection and the server. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const ADMIN_PREFIX = "/__sandbox";

/**
 * Starts the sandbox and resolves once it listens.
 *
 * @throws RangeError on invalid options (before listening).
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  checkStartOptions(options);
  const core = new SandboxCore(options);
  await core.listen(options.port ?? SANDBOX_DEFAULTS.port, options.host ?? SANDBOX_DEFAULTS.host);
  return core.handle();
}

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

class SandboxCore {
  readonly ledger = new SandboxLedger();
  private readonly server: Server;
  private readonly auth: RequestAuthenticator;
  private readonly faults: FaultInjector;
  private readonly now: () => number;
  private readonly seed: number;
  private readonly initialSettings: ResolvedSettings;
  private current: ResolvedSettings;
  private readonly requestTimers = new TimerSet();
  private readonly settleTimers = new TimerSet();
  private readonly pendingSettlements = new Map<string, NodeJS.Timeout>();
  private webhookTimers = new TimerSet();
  private webhooks: WebhookDispatcher;
  private settlementRandom: RandomSource;
  private counts: Omit<SandboxCounters, "webhooks">;
  private closed = false;
  private closing: Promise<void> | undefined;
  private baseUrl = "";
  private boundPort = 0;

  constructor(private readonly options: SandboxOptions) {
    this.now = options.now ?? Date.now;
    this.seed = options.seed ?? SANDBOX_DEFAULTS.seed;
    this.auth = new RequestAuthenticator({
      clientId: options.clientId,
      secretKey: options.secretKey,
      timestampWindowMs: options.timestampWindowMs ?? SANDBOX_DEFAULTS.timestampWindowMs,
    });
    this.initialSettings = mergeSettings(
      {
        duplicateMode: SANDBOX_DEFAULTS.duplicateMode,
        settleDelayMs: SANDBOX_DEFAULTS.settleDelayMs,
        failureRatio: SANDBOX_DEFAULTS.failureRatio,
        failureReason: SANDBOX_DEFAULTS.failureReason,
        webhookUrl: undefined,
      },
      options,
    );
    this.current = this.initialSettings;
    this.faults = new FaultInjector(this.seed, options.faults ?? {});
    this.settlementRandom = deriveStream(this.seed, "settlement");
    this.webhooks = this.newDispatcher();
    this.counts = emptyCounts();
    for (const o of options.orders ?? []) this.ledger.seedOrder(o);
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

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const addr = this.server.address() as AddressInfo;
        this.boundPort = addr.port;
        const h = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
        this.baseUrl = `http://${h}:${addr.port}`;
        resolve();
      });
    });
  }

  handle(): Sandbox {
    const faults: SandboxFaults = {
      set: (c) => this.faults.set(c),
      get: () => this.faults.get(),
      script: (op, actions) => this.faults.script(op, actions),
      clear: () => this.faults.clear(),
    };
    return {
      url: this.baseUrl,
      port: this.boundPort,
      ledger: this.ledger,
      faults,
      counters: () => this.counters(),
      seedOrders: (orders) => this.seedOrders(orders),
      settleNow: (o) => this.settleNow(o ?? {}),
      webhookDeliveries: () => this.webhooks.deliveries(),
      configure: (changes) => {
        this.current = mergeSettings(this.current, changes);
      },
      settings: () => ({ ...this.current }),
      reset: () => this.reset(),
      close: () => this.close(),
    };
  }

  private newDispatcher(): WebhookDispatcher {
    return new WebhookDispatcher({
      url: () => this.current.webhookUrl,
      clientId: this.options.clientId,
      secretKey: this.options.secretKey,
      options: this.options.webhook ?? {},
      random: deriveStream(this.seed, "webhooks"),
      now: this.now,
      timers: this.webhookTimers,
    });
  }

  private counters(): SandboxCounters {
    return { ...structuredClone(this.counts), webhooks: this.webhooks.counters() };
  }

  private seedOrders(orders: SeedOrder | readonly SeedOrder[]): LedgerOrder[] {
    const list: readonly SeedOrder[] = isReadonlyArray(orders) ? orders : [orders];
    // Validate everything first so a bad entry seeds nothing.
    const clean = list.map((o) => validateSeedOrder(o));
    return clean.map((o) => this.ledger.seedOrder(o));
  }

  private reset(): void {
    this.settleTimers.clear();
    this.pendingSettlements.clear();
    this.webhooks.close();
    this.webhookTimers.close();
    this.webhookTimers = new TimerSet();
    this.current = this.initialSettings;
    this.webhooks = this.newDispatcher();
    this.ledger.clear();
    this.auth.reset();
    this.faults.clear();
    this.faults.set(this.options.faults ?? {});
    this.faults.reseed();
    this.settlementRandom = deriveStream(this.seed, "settlement");
    this.counts = emptyCounts();
    for (const o of this.options.orders ?? []) this.ledger.seedOrder(o);
  }

  private close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.requestTimers.close();
    this.settleTimers.close();
    this.pendingSettlements.clear();
    this.webhookTimers.close();
    this.webhooks.close();
    this.closing = new Promise((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive sockets would hold close() open until they time out.
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  // ---------------------------------------------------------------- settlement

  private scheduleSettlement(refund: Readonly<LedgerRefund>): void {
    const delay = this.current.settleDelayMs;
    if (!Number.isFinite(delay)) return;
    const t = this.settleTimers.after(delay, () => {
      this.pendingSettlements.delete(refund.gateRefundId);
      this.settle(refund.gateRefundId, undefined, undefined);
    });
    if (t) this.pendingSettlements.set(refund.gateRefundId, t);
  }

  private settle(
    gateRefundId: string,
    status: "SUCCESS" | "FAIL" | undefined,
    reason: string | undefined,
  ): Readonly<LedgerRefund> | undefined {
    const drawn = this.settlementRandom() < this.current.failureRatio ? "FAIL" : "SUCCESS";
    const outcome = status ?? drawn;
    const refund = this.ledger.settle(
      gateRefundId,
      outcome === "SUCCESS"
        ? { status: "SUCCESS" }
        : { status: "FAIL", reason: reason ?? this.current.failureReason },
      this.now(),
    );
    if (!refund) return undefined;
    const order = this.ledger.orderTerms(refund.prepayId);
    if (order) {
      this.webhooks.notify(
        refund,
        order,
        refund.status === "SUCCESS" ? "REFUND_SUCCESS" : "REFUND_REJECTED",
      );
    }
    return refund;
  }

  private settleNow(o: SettleNowOptions): Readonly<LedgerRefund>[] {
    const targets = (
      o.refundRequestId === undefined
        ? this.ledger.refunds
        : this.ledger.refundsFor(o.refundRequestId)
    ).filter((r) => r.status === "PROCESSING");
    const settled: Readonly<LedgerRefund>[] = [];
    for (const r of targets) {
      this.settleTimers.cancel(this.pendingSettlements.get(r.gateRefundId));
      this.pendingSettlements.delete(r.gateRefundId);
      const done = this.settle(r.gateRefundId, o.status, o.reason);
      if (done) settled.push(done);
    }
    return settled;
  }

  // ---------------------------------------------------------------- requests

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
      send(res, this.admin(req.method ?? "GET", path.slice(ADMIN_PREFIX.length), raw));
      return;
    }
    const route = SANDBOX_ROUTES.get(path);
    if (!route) {
      this.counts.unknownPaths += 1;
      send(res, { status: 404, body: failureBody(failure("400001", `no endpoint at ${path}`)) });
      return;
    }
    await this.serveGatePay(req, res, route, raw, query);
  }

  private async serveGatePay(
    req: IncomingMessage,
    res: ServerResponse,
    route: SandboxRoute,
    raw: string,
    query: string,
  ): Promise<void> {
    const op = route.operation;
    this.counts.requests[op] += 1;
    if (req.method !== route.method) {
      send(res, {
        status: 405,
        headers: { Allow: route.method },
        body: failureBody(failure("400001", `${route.method} only`)),
      });
      return;
    }
    const denied = this.auth.check(
      { method: route.method, headers: req.headers, rawBody: raw, institution: route.institution },
      this.now(),
    );
    if (denied) {
      this.counts.authFailures[denied.kind] += 1;
      send(res, this.fail(denied.failure));
      return;
    }

    const decision = this.faults.decide(op);
    if (decision.latencyMs > 0) {
      await this.requestTimers.delay(decision.latencyMs);
      if (this.closed) return;
    }
    if (decision.action !== "none") this.counts.faults[op][decision.action] += 1;
    switch (decision.action) {
      case "http500":
        // gatepay-api.md §8.1: system errors come as HTTP 500 with code 300000; the
        // request had no effect.
        send(res, this.fail(failure("300000", "system error (sandbox fault)"), 500));
        return;
      case "http429":
        this.countAnswer("429");
        send(res, {
          status: 429,
          headers: { "Retry-After": "1" },
          body: failureBody({
            code: "429",
            label: "TOO_MANY_REQUESTS",
            message: "too many requests (sandbox fault)",
          }),
        });
        return;
      case "dropBefore":
        req.socket.destroy();
        return;
      default:
        break;
    }

    const answer = this.process(
      route,
      raw,
      query,
      header(req.headers, GATEPAY_HEADERS.onBehalfOf.toLowerCase()),
    );
    if (decision.action === "dropAfter") {
      // The work is done (a refund may now exist) but the client never hears of it.
      req.socket.destroy();
      return;
    }
    if (decision.action === "slowAfter") {
      await this.requestTimers.delay(decision.slowAfterMs);
      if (this.closed) return;
    }
    send(res, answer);
  }

  private process(
    route: SandboxRoute,
    raw: string,
    query: string,
    onBehalfOf: string | undefined,
  ): Answer {
    switch (route.operation) {
      case "orderRefund":
        return this.create("order", raw, route.institution, onBehalfOf);
      case "convertRefund":
        return this.create("convert", raw, route.institution, onBehalfOf);
      case "refundDetails":
        return this.details(new URLSearchParams(query).get("refundRequestId"), "refundDetails");
      case "refundQueryV1": {
        const body = parseJson(raw);
        const id = isRecord(body) ? body["refundRequestId"] : undefined;
        return this.details(typeof id === "string" ? id : null, "refundQueryV1");
      }
    }
  }

  private create(
    kind: OrderKind,
    raw: string,
    institution: boolean,
    onBehalfOf: string | undefined,
  ): Answer {
    const body = parseJson(raw);
    if (body === undefined) return this.fail(failure("400001", "body is not valid JSON"));
    const outcome = this.ledger.createRefund(kind, body, {
      mode: this.current.duplicateMode,
      nowMs: this.now(),
      institution,
      onBehalfOf,
    });
    if (!outcome.ok) {
      if (outcome.failure.label === "DUPLICATE_REFUND_REQUEST_ID")
        this.counts.duplicateRejections += 1;
      return this.fail(outcome.failure);
    }
    const refund = outcome.refund;
    const order = this.ledger.orderTerms(refund.prepayId);
    if (!order) return this.fail(failure("300000", "order vanished"), 500);
    if (outcome.replay) {
      this.counts.idempotentReplays += 1;
    } else {
      this.counts.refundsRecorded += 1;
      this.webhooks.notify(refund, order, "REFUND_PROCESS");
      this.scheduleSettlement(refund);
    }
    this.countAnswer("000000");
    return { status: 200, body: successBody(createData(refund, order)) };
  }

  private details(refundRequestId: string | null, op: "refundDetails" | "refundQueryV1"): Answer {
    if (!refundRequestId) return this.fail(failure("400001", "refundRequestId is required"));
    const refund = this.ledger.firstRefund(refundRequestId);
    const order = refund ? this.ledger.orderTerms(refund.prepayId) : undefined;
    if (!refund || !order) {
      return this.fail(failure("400304", `refund ${refundRequestId} does not exist`));
    }
    if (this.now() - refund.createdAtMs < this.faults.detailsLagMs(op)) {
      // The read side lags behind creation: right after a create, GatePay may not know
      // the refund yet (gatepay-api.md §6.5).
      this.counts.detailsLagged += 1;
      return this.fail(failure("400304", `refund ${refundRequestId} does not exist`));
    }
    this.countAnswer("000000");
    const data = op === "refundDetails" ? detailsData(refund, order) : queryV1Data(refund, order);
    return { status: 200, body: successBody(data) };
  }

  private fail(f: SandboxFailure, status = f.code === "300000" ? 500 : 200): Answer {
    this.countAnswer(f.code);
    return { status, body: failureBody(f) };
  }

  private countAnswer(code: string): void {
    this.counts.answers[code] = (this.counts.answers[code] ?? 0) + 1;
  }

  // ---------------------------------------------------------------- admin

  private admin(method: string, route: string, raw: string): Answer {
    try {
      const json = (value: unknown, status = 200): Answer => ({
        status,
        body: JSON.stringify(value),
      });
      const key = `${method} ${route}`;
      switch (key) {
        case "GET /health":
          return json({ status: "ok" });
        case "GET /ledger":
          return json(this.ledger.toJSON());
        case "GET /counters":
          return json(this.counters());
        case "GET /webhooks":
          return json(this.webhooks.deliveries());
        case "GET /faults":
          return json({ faults: this.faults.get(), scripts: this.faults.scripted() });
        case "GET /config":
          return json(this.current);
        case "POST /orders": {
          const body = adminBody(raw);
          const list = isRecord(body) && Array.isArray(body["orders"]) ? body["orders"] : body;
          return json({ orders: this.seedOrders(list as SeedOrder | SeedOrder[]) });
        }
        case "POST /faults":
          this.faults.set(adminBody(raw) as FaultConfig);
          return json({ faults: this.faults.get() });
        case "DELETE /faults":
          this.faults.clear();
          return json({ faults: this.faults.get() });
        case "POST /faults/script": {
          const body = adminBody(raw);
          const op = isRecord(body) ? body["operation"] : undefined;
          const actions = isRecord(body) ? body["actions"] : undefined;
          if (!isSandboxOperation(op)) {
            throw new RangeError(`operation must be one of ${SANDBOX_OPERATIONS.join(", ")}`);
          }
          if (!Array.isArray(actions)) throw new RangeError("actions must be a list");
          this.faults.script(op, actions as FaultAction[]);
          return json({ scripts: this.faults.scripted() });
        }
        case "POST /settle": {
          const body = raw === "" ? {} : adminBody(raw);
          if (!isRecord(body)) throw new RangeError("body must be an object");
          const o: SettleNowOptions = {};
          const { refundRequestId, status, reason } = body;
          if (typeof refundRequestId === "string") o.refundRequestId = refundRequestId;
          if (status === "SUCCESS" || status === "FAIL") o.status = status;
          if (typeof reason === "string") o.reason = reason;
          return json({ settled: this.settleNow(o) });
        }
        case "POST /config":
          this.current = mergeSettings(this.current, adminBody(raw) as SandboxSettings);
          return json(this.current);
        case "POST /reset":
          this.reset();
          return json({ status: "ok" });
        default:
          return json({ error: `no admin route ${key}` }, 404);
      }
    } catch (err) {
      const message =
        err instanceof RangeError || err instanceof SyntaxError ? err.message : "bad request";
      return { status: 400, body: JSON.stringify({ error: message }) };
    }
  }
}

function emptyCounts(): Omit<SandboxCounters, "webhooks"> {
  const perOp = <T>(make: () => T) =>
    Object.fromEntries(SANDBOX_OPERATIONS.map((op) => [op, make()])) as Record<SandboxOperation, T>;
  return {
    requests: perOp(() => 0),
    authFailures: {
      contentType: 0,
      clientId: 0,
      timestamp: 0,
      nonce: 0,
      nonceReuse: 0,
      signature: 0,
      onBehalfOf: 0,
    },
    faults: perOp(() => ({ http500: 0, http429: 0, dropBefore: 0, dropAfter: 0, slowAfter: 0 })),
    answers: {},
    refundsRecorded: 0,
    idempotentReplays: 0,
    duplicateRejections: 0,
    detailsLagged: 0,
    unknownPaths: 0,
  };
}

/** Create answers (gatepay-api.md §5.1 for order refunds, §5.4 for convert refunds). */
function createData(r: Readonly<LedgerRefund>, order: Readonly<SeedOrder>): Record<string, string> {
  if (r.kind === "order") {
    return {
      refundRequestId: r.refundRequestId,
      prepayId: r.prepayId,
      orderAmount: order.amount,
      refundAmount: r.refundAmount,
      channelId: "",
    };
  }
  return {
    refundRequestId: r.refundRequestId,
    prepayId: r.prepayId,
    orderCurrency: order.currency,
    orderAmount: order.amount,
    refundOrderAmount: r.refundAmount,
    payCurrency: order.payCurrency ?? r.refundPayCurrency ?? order.currency,
    payAmount: order.payAmount ?? order.amount,
    refundPayAmount: r.refundPayAmount ?? r.refundAmount,
  };
}

/**
 * v2 details `data` (gatepay-api.md §6.2), field names as GatePay returns them (camelCase
 * and snake_case mixed). `status`: PROCESSING (the sandbox's in-progress value; GatePay's
 * enum is unpublished, §6.4), SUCCESS or FAIL with `refund_fail_reason`.
 */
function detailsData(
  r: Readonly<LedgerRefund>,
  order: Readonly<SeedOrder>,
): Record<string, string | number> {
  const data: Record<string, string | number> = {
    refundRequestId: r.refundRequestId,
    gateRefundId: r.gateRefundId,
    refundId: r.gateRefundId,
    orderId: r.prepayId,
    createTime: r.createdAtMs,
    orderAmount: order.amount,
    orderCurrency: order.currency,
    requestAmount: r.refundAmount,
    requestCurrency: r.currency,
    amount: r.refundPayAmount ?? r.refundAmount,
    currency: r.refundPayCurrency ?? r.currency,
    status: r.status,
    remark: r.refundReason ?? "",
    refund_style: 1,
    refund_pay_channel: 1,
    refund_bear_type: 1,
    refund_amount_type: compareAmounts(r.refundAmount, order.amount) === 0 ? 1 : 2,
    refund_account_type: 1,
    refund_fail_reason: r.failReason ?? "",
    refund_to_gate_uid: r.receiverId ?? "",
  };
  if (r.settledAtMs !== undefined) data["transactTime"] = r.settledAtMs;
  return data;
}

/**
 * v1 query `data` (gatepay-api.md §6.3). `refundStatus` PROCESSING is an assumption:
 * only SUCCESS and FAIL are documented.
 */
function queryV1Data(
  r: Readonly<LedgerRefund>,
  order: Readonly<SeedOrder>,
): Record<string, string> {
  return {
    refundRequestId: r.refundRequestId,
    prepayId: r.prepayId,
    orderAmount: order.amount,
    refundAmount: r.refundAmount,
    refundStatus: r.status,
    channelId: "",
  };
}

function send(res: ServerResponse, a: Answer): void {
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

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function adminBody(raw: string): unknown {
  if (raw === "") throw new RangeError("a JSON body is required");
  return JSON.parse(raw) as unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isReadonlyArray<T>(v: T | readonly T[]): v is readonly T[] {
  return Array.isArray(v);
}
