/**
 * The admin routes under `/__sandbox` (no authentication: the sandbox binds loopback by
 * default): health, the ledger, counters, webhook deliveries, faults and fault scripts,
 * settings, seeding orders, settling refunds now, and reset. Every request body is
 * checked with the zod schemas of ./admin-schemas.ts before use; a bad one gets HTTP 400
 * `{"error":"<field>: <reason>"}` and changes nothing.
 */
import {
  parseAdminBody,
  parseSeedOrders,
  FaultConfigBody,
  FaultScriptBody,
  SettingsBody,
  SettleBody,
} from "./admin-schemas.js";
import type { SandboxCounters } from "./counters.js";
import { validateFaultConfig, type FaultInjector } from "./faults.js";
import type { LedgerOrder, LedgerRefund, SandboxLedger } from "./ledger.js";
import { validateSeedOrder, type SeedOrder } from "./seed-order.js";
import type { ResolvedSettings, SandboxSettings } from "./options.js";
import type { SettleNowOptions } from "./settlement.js";
import type { Answer } from "./transport.js";
import type { WebhookDelivery } from "./webhooks.js";

/** What the admin routes read and change. */
export interface AdminDeps {
  ledger: SandboxLedger;
  faults: FaultInjector;
  counters(): SandboxCounters;
  webhookDeliveries(): readonly Readonly<WebhookDelivery>[];
  /** The current settings. */
  settings(): ResolvedSettings;
  /** Merges `changes` over the settings. @throws RangeError when invalid. */
  configure(changes: SandboxSettings): void;
  /** Seeds every order or none. @throws RangeError on an invalid or conflicting order. */
  seedOrders(orders: readonly SeedOrder[]): LedgerOrder[];
  settleNow(options: SettleNowOptions): Readonly<LedgerRefund>[];
  reset(): void;
}

/**
 * Answers one admin request: `method` and `route` (the path after `/__sandbox`), `raw`
 * the body as received.
 */
export function answerAdmin(deps: AdminDeps, method: string, route: string, raw: string): Answer {
  const key = `${method} ${route}`;
  try {
    switch (key) {
      case "GET /health":
        return json({ status: "ok" });
      case "GET /ledger":
        return json(deps.ledger.toJSON());
      case "GET /counters":
        return json(deps.counters());
      case "GET /webhooks":
        return json(deps.webhookDeliveries());
      case "GET /faults":
        return json({ faults: deps.faults.get(), scripts: deps.faults.scripted() });
      case "GET /config":
        return json(deps.settings());
      case "POST /orders": {
        const orders = parseSeedOrders(jsonBody(raw)).map((o) => validateSeedOrder(o));
        return json({ orders: deps.seedOrders(orders) });
      }
      case "POST /faults":
        deps.faults.set(validateFaultConfig(parseAdminBody(FaultConfigBody, jsonBody(raw))));
        return json({ faults: deps.faults.get() });
      case "DELETE /faults":
        deps.faults.clear();
        return json({ faults: deps.faults.get() });
      case "POST /faults/script": {
        const body = parseAdminBody(FaultScriptBody, jsonBody(raw));
        deps.faults.script(body.operation, body.actions);
        return json({ scripts: deps.faults.scripted() });
      }
      case "POST /settle": {
        const options = parseAdminBody(SettleBody, raw === "" ? {} : jsonBody(raw));
        return json({ settled: deps.settleNow(options) });
      }
      case "POST /config":
        deps.configure(parseAdminBody(SettingsBody, jsonBody(raw)));
        return json(deps.settings());
      case "POST /reset":
        deps.reset();
        return json({ status: "ok" });
      default:
        return json({ error: `no admin route ${key}` }, 404);
    }
  } catch (err) {
    // RangeError: a body the schemas or the sandbox's own checks refused; SyntaxError:
    // not JSON. Anything else is not the caller's to read.
    const message =
      err instanceof RangeError || err instanceof SyntaxError ? err.message : "bad request";
    return { status: 400, body: JSON.stringify({ error: message }) };
  }
}

function json(value: unknown, status = 200): Answer {
  return { status, body: JSON.stringify(value) };
}

/** The body parsed as JSON. @throws RangeError when empty, SyntaxError when not JSON. */
function jsonBody(raw: string): unknown {
  if (raw === "") throw new RangeError("a JSON body is required");
  return JSON.parse(raw) as unknown;
}
