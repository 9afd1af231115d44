/**
 * The GatePay sandbox: a real HTTP server that serves the refund endpoints the client
 * uses, authenticates requests as GatePay does, keeps a ledger, settles refunds after a
 * delay, sends signed PAY_REFUND webhooks and injects faults on request. Admin routes
 * under `/__sandbox` seed orders, read the ledger and counters, and change faults and
 * settings at run time.
 *
 * This module puts the parts together and owns the state they share (settings, the
 * webhook dispatcher, reset and close): ./transport.ts (HTTP), ./gatepay-routes.ts,
 * ./admin-routes.ts, ./settlement.ts, ./counters.ts.
 */
import { answerAdmin } from "./admin-routes.js";
import { RequestAuthenticator } from "./auth.js";
import { CounterBook, type SandboxCounters } from "./counters.js";
import {
  FaultInjector,
  type FaultAction,
  type FaultConfig,
  type SandboxOperation,
} from "./faults.js";
import { GatePayRoutes } from "./gatepay-routes.js";
import { SandboxLedger, type LedgerOrder, type LedgerRefund } from "./ledger.js";
import {
  checkStartOptions,
  mergeSettings,
  SANDBOX_DEFAULTS,
  type ResolvedSettings,
  type SandboxOptions,
  type SandboxSettings,
} from "./options.js";
import { deriveStream } from "./random.js";
import { validateSeedOrder, type SeedOrder } from "./seed-order.js";
import { SettlementScheduler, type SettleNowOptions } from "./settlement.js";
import { TimerSet } from "./timers.js";
import { SandboxTransport } from "./transport.js";
import { WebhookDispatcher, type WebhookDelivery } from "./webhooks.js";

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

class SandboxCore {
  readonly ledger = new SandboxLedger();
  private readonly transport: SandboxTransport;
  private readonly auth: RequestAuthenticator;
  private readonly faults: FaultInjector;
  private readonly counts = new CounterBook();
  private readonly settlement: SettlementScheduler;
  private readonly now: () => number;
  private readonly seed: number;
  private readonly initialSettings: ResolvedSettings;
  private current: ResolvedSettings;
  private readonly requestTimers = new TimerSet();
  private webhookTimers = new TimerSet();
  private webhooks: WebhookDispatcher;
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
    // Read through `this` at call time: reset() replaces the dispatcher.
    const notify = (...args: Parameters<WebhookDispatcher["notify"]>) =>
      this.webhooks.notify(...args);
    this.settlement = new SettlementScheduler({
      ledger: this.ledger,
      seed: this.seed,
      now: this.now,
      settings: () => this.current,
      notify,
    });
    this.webhooks = this.newDispatcher();
    for (const o of options.orders ?? []) this.ledger.seedOrder(o);
    const gatepay = new GatePayRoutes({
      ledger: this.ledger,
      auth: this.auth,
      faults: this.faults,
      counters: this.counts,
      now: this.now,
      settings: () => this.current,
      requestTimers: this.requestTimers,
      closed: () => this.closed,
      onRefundCreated: (refund, order) => {
        notify(refund, order, "REFUND_PROCESS");
        this.settlement.schedule(refund);
      },
    });
    const admin = {
      ledger: this.ledger,
      faults: this.faults,
      counters: () => this.counters(),
      webhookDeliveries: () => this.webhooks.deliveries(),
      settings: () => this.current,
      configure: (changes: SandboxSettings) => this.configure(changes),
      seedOrders: (orders: readonly SeedOrder[]) => this.seedOrders(orders),
      settleNow: (o: SettleNowOptions) => this.settlement.settleNow(o),
      reset: () => this.reset(),
    };
    this.transport = new SandboxTransport({
      admin: (method, route, raw) => answerAdmin(admin, method, route, raw),
      gatepay: (req, res, path, raw, query) => gatepay.serve(req, res, path, raw, query),
    });
  }

  async listen(port: number, host: string): Promise<void> {
    const bound = await this.transport.listen(port, host);
    this.baseUrl = bound.url;
    this.boundPort = bound.port;
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
      seedOrders: (orders) => this.seedOrders(isReadonlyArray(orders) ? orders : [orders]),
      settleNow: (o) => this.settlement.settleNow(o ?? {}),
      webhookDeliveries: () => this.webhooks.deliveries(),
      configure: (changes) => this.configure(changes),
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
    return this.counts.snapshot(this.webhooks.counters());
  }

  private configure(changes: SandboxSettings): void {
    this.current = mergeSettings(this.current, changes);
  }

  private seedOrders(orders: readonly SeedOrder[]): LedgerOrder[] {
    // Validate everything first so a bad entry seeds nothing.
    const clean = orders.map((o) => validateSeedOrder(o));
    return clean.map((o) => this.ledger.seedOrder(o));
  }

  private reset(): void {
    this.settlement.reset();
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
    this.counts.reset();
    for (const o of this.options.orders ?? []) this.ledger.seedOrder(o);
  }

  private close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.requestTimers.close();
    this.settlement.close();
    this.webhookTimers.close();
    this.webhooks.close();
    this.closing = this.transport.close();
    return this.closing;
  }
}

function isReadonlyArray<T>(v: T | readonly T[]): v is readonly T[] {
  return Array.isArray(v);
}
