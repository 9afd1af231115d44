/**
 * The GatePay paths the sandbox serves (./routes.ts): method check, authentication as
 * GatePay does it (./auth.ts), fault injection (./faults.ts), then the refund create,
 * details and v1 query answers from the ledger. Every request and answer is counted.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { GATEPAY_HEADERS } from "../gatepay/signing.js";
import { createData, detailsData, queryV1Data } from "./answer-data.js";
import { queryParamReadings } from "./query-param.js";
import { header, type RequestAuthenticator } from "./auth.js";
import type { CounterBook } from "./counters.js";
import { failure, failureBody, successBody, type SandboxFailure } from "./envelope.js";
import type { FaultInjector } from "./faults.js";
import type { LedgerRefund, SandboxLedger } from "./ledger.js";
import type { OrderKind, SeedOrder } from "./seed-order.js";
import type { ResolvedSettings } from "./options.js";
import { SANDBOX_ROUTES, type SandboxRoute } from "./routes.js";
import type { TimerSet } from "./timers.js";
import { send, type Answer } from "./transport.js";

/** What the GatePay routes need from the sandbox. */
export interface GatePayRoutesDeps {
  ledger: SandboxLedger;
  auth: RequestAuthenticator;
  faults: FaultInjector;
  counters: CounterBook;
  /** The sandbox clock, epoch ms. */
  now: () => number;
  /** The current settings (`duplicateMode`). */
  settings: () => ResolvedSettings;
  /** Injected latency and slow answers wait on these (closed with the sandbox). */
  requestTimers: TimerSet;
  /** True once the sandbox is closing: work that waited is abandoned. */
  closed: () => boolean;
  /** A new refund was recorded (not a replay): notify REFUND_PROCESS, schedule settlement. */
  onRefundCreated: (refund: Readonly<LedgerRefund>, order: Readonly<SeedOrder>) => void;
}

/** Serves every non-admin path. */
export class GatePayRoutes {
  constructor(private readonly deps: GatePayRoutesDeps) {}

  /** Answers one request to `path` (a 404 for a path GatePay does not have). */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: string,
    query: string,
  ): Promise<void> {
    const route = SANDBOX_ROUTES.get(path);
    if (!route) {
      this.deps.counters.live.unknownPaths += 1;
      send(res, { status: 404, body: failureBody(failure("400001", `no endpoint at ${path}`)) });
      return;
    }
    await this.serveRoute(req, res, route, raw, query);
  }

  private async serveRoute(
    req: IncomingMessage,
    res: ServerResponse,
    route: SandboxRoute,
    raw: string,
    query: string,
  ): Promise<void> {
    const { counters, requestTimers } = this.deps;
    const op = route.operation;
    counters.live.requests[op] += 1;
    if (req.method !== route.method) {
      send(res, {
        status: 405,
        headers: { Allow: route.method },
        body: failureBody(failure("400001", `${route.method} only`)),
      });
      return;
    }
    const denied = this.deps.auth.check(
      { method: route.method, headers: req.headers, rawBody: raw, institution: route.institution },
      this.deps.now(),
    );
    if (denied) {
      counters.live.authFailures[denied.kind] += 1;
      send(res, this.fail(denied.failure));
      return;
    }

    const decision = this.deps.faults.decide(op);
    if (decision.latencyMs > 0) {
      await requestTimers.delay(decision.latencyMs);
      if (this.deps.closed()) return;
    }
    if (decision.action !== "none") counters.live.faults[op][decision.action] += 1;
    switch (decision.action) {
      case "http500":
        // gatepay-api.md §8.1: system errors come as HTTP 500 with code 300000; the
        // request had no effect.
        send(res, this.fail(failure("300000", "system error (sandbox fault)"), 500));
        return;
      case "http429":
        counters.countAnswer("429");
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
      await requestTimers.delay(decision.slowAfterMs);
      if (this.deps.closed()) return;
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
        return this.detailsFromQuery(query, onBehalfOf);
      case "refundQueryV1": {
        const body = parseJson(raw);
        const id = isRecord(body) ? body["refundRequestId"] : undefined;
        return this.details(typeof id === "string" ? id : null, "refundQueryV1", onBehalfOf);
      }
    }
  }

  private create(
    kind: OrderKind,
    raw: string,
    institution: boolean,
    onBehalfOf: string | undefined,
  ): Answer {
    const { ledger, counters } = this.deps;
    const body = parseJson(raw);
    if (body === undefined) return this.fail(failure("400001", "body is not valid JSON"));
    const outcome = ledger.createRefund(kind, body, {
      mode: this.deps.settings().duplicateMode,
      nowMs: this.deps.now(),
      institution,
      onBehalfOf,
    });
    if (!outcome.ok) {
      if (outcome.failure.label === "DUPLICATE_REFUND_REQUEST_ID")
        counters.live.duplicateRejections += 1;
      return this.fail(outcome.failure);
    }
    const refund = outcome.refund;
    const order = ledger.orderTerms(refund.prepayId);
    if (!order) return this.fail(failure("300000", "order vanished"), 500);
    if (outcome.replay) {
      counters.live.idempotentReplays += 1;
    } else {
      counters.live.refundsRecorded += 1;
      this.deps.onRefundCreated(refund, order);
    }
    counters.countAnswer("000000");
    return { status: 200, body: successBody(createData(refund, order)) };
  }

  /**
   * The details GET. Gate's Java SDK appends `refundRequestId` unencoded, so a value may
   * be meant literally (`a+b`) or form-encoded (`a%2Bb`, `a+b` for "a b"): the first
   * reading the ledger knows is taken.
   */
  private detailsFromQuery(query: string, onBehalfOf: string | undefined): Answer {
    const readings = queryParamReadings(query, "refundRequestId");
    const known = readings.find((id) => this.deps.ledger.firstRefund(id) !== undefined);
    return this.details(known ?? readings[0] ?? null, "refundDetails", onBehalfOf);
  }

  private details(
    refundRequestId: string | null,
    op: "refundDetails" | "refundQueryV1",
    onBehalfOf: string | undefined,
  ): Answer {
    if (!refundRequestId) return this.fail(failure("400001", "refundRequestId is required"));
    const { ledger, counters } = this.deps;
    const refund = ledger.firstRefund(refundRequestId);
    const order = refund ? ledger.orderTerms(refund.prepayId) : undefined;
    // A refund belongs to the account it was made under: asked under another sub-account
    // (or merchant mode), GatePay does not show it.
    if (!refund || !order || (refund.onBehalfOf || undefined) !== (onBehalfOf || undefined)) {
      return this.fail(failure("400304", `refund ${refundRequestId} does not exist`));
    }
    if (this.deps.now() - refund.createdAtMs < this.deps.faults.detailsLagMs(op)) {
      // The read side lags behind creation: right after a create, GatePay may not know
      // the refund yet (gatepay-api.md §6.5).
      counters.live.detailsLagged += 1;
      return this.fail(failure("400304", `refund ${refundRequestId} does not exist`));
    }
    counters.countAnswer("000000");
    const data = op === "refundDetails" ? detailsData(refund, order) : queryV1Data(refund, order);
    return { status: 200, body: successBody(data) };
  }

  private fail(f: SandboxFailure, status = f.code === "300000" ? 500 : 200): Answer {
    this.deps.counters.countAnswer(f.code);
    return { status, body: failureBody(f) };
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
