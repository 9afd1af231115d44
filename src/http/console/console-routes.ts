/**
 * The operator console at {@link CONSOLE_PATH}: server-rendered pages over the store's
 * console queries, readable with `API_TOKEN` (bearer, or the session the login form
 * sets), with one action, replay, that also needs `ADMIN_TOKEN` and the session's CSRF
 * token. Every answer carries the console's CSP, `no-store` caching, `nosniff` and
 * `DENY` framing; every value on a page is escaped (./html.ts).
 */
import { parse as parseQuery } from "node:querystring";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { jobsOf } from "./jobs-of.js";
import type { RefundProducer } from "../../producer/enqueue-refund.js";
import { ConsoleQueries } from "../../store/console-queries.js";
import type { RefundMetrics } from "../../worker/metrics.js";
import { CONSOLE_CSS, CONSOLE_JS } from "./assets.js";
import { attentionBody } from "./attention-page.js";
import { batchBody, batchesBody } from "./batch-pages.js";
import { batchReportCsv } from "./batch-report-csv.js";
import { ConsoleAuth, type ConsoleReader } from "./console-auth.js";
import {
  CONSOLE_CSP,
  CONSOLE_PATH,
  consoleHref,
  html,
  layout,
  type LayoutOptions,
} from "./html.js";
import { loginBody } from "./login-page.js";
import { gatepayRates, queueDepths } from "./overview-data.js";
import { overviewBody } from "./overview-page.js";
import { batchProgress } from "./progress.js";
import { REPLAYABLE_STATES, refundBody, type RefundPageData } from "./refund-page.js";

export { CONSOLE_PATH };

/** What the console needs. */
export interface ConsoleDeps {
  producer: RefundProducer;
  metrics: RefundMetrics;
  apiToken: { reveal(): string } | undefined;
  adminToken: { reveal(): string } | undefined;
  /** The durability mode, when the process reports one. */
  durability?: (() => { mode: string; [key: string]: unknown }) | undefined;
}

type Page = {
  status?: number;
  title: string;
  current?: LayoutOptions["current"];
  body: ReturnType<typeof html>;
};

/** Registers the console's routes in a scope of their own. */
export async function registerConsole(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const auth = new ConsoleAuth(deps.apiToken, deps.adminToken);
  const queries = new ConsoleQueries(deps.producer.shards);

  await app.register((scope, _opts, done) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 8 * 1024 },
      (_req, body, next) => next(null, parseQuery(body as string)),
    );
    scope.addHook("onSend", async (_request, reply, payload) => {
      void reply
        .header("Content-Security-Policy", CONSOLE_CSP)
        .header("Cache-Control", "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .header("X-Frame-Options", "DENY")
        .header("Referrer-Policy", "no-referrer");
      return payload;
    });

    const send = (reply: FastifyReply, reader: ConsoleReader | undefined, page: Page) => {
      const options: LayoutOptions = { title: page.title, signedIn: reader !== undefined };
      if (page.current) options.current = page.current;
      if (reader) options.csrf = auth.csrfFor(reader);
      return reply
        .code(page.status ?? 200)
        .type("text/html; charset=utf-8")
        .send(layout(options, page.body));
    };

    /** The reader, or an answer (login redirect, 401, 503) and undefined. */
    const readerOf = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!auth.configured) {
        await send(reply, undefined, {
          status: 503,
          title: "Console closed",
          body: html`<p>
            <code>API_TOKEN_NOT_CONFIGURED</code>: set API_TOKEN to open the console.
          </p>`,
        });
        return undefined;
      }
      const reader = auth.reader(request);
      if (reader) return reader;
      const wantsHtml = (request.headers.accept ?? "").includes("text/html");
      if (request.method === "GET" && wantsHtml) {
        const next = request.url.startsWith(`${CONSOLE_PATH}`) ? request.url : CONSOLE_PATH;
        await reply.redirect(`${CONSOLE_PATH}/login?next=${encodeURIComponent(next)}`, 303);
      } else {
        await reply
          .code(401)
          .header("WWW-Authenticate", 'Bearer realm="gatepay-refunds"')
          .send({
            error: {
              code: "UNAUTHORIZED",
              message: "sign in at /console/login or send Authorization: Bearer <API_TOKEN>",
            },
          });
      }
      return undefined;
    };

    scope.get(`${CONSOLE_PATH}/assets/console.css`, (_req, reply) =>
      reply.type("text/css; charset=utf-8").send(CONSOLE_CSS),
    );
    scope.get(`${CONSOLE_PATH}/assets/console.js`, (_req, reply) =>
      reply.type("text/javascript; charset=utf-8").send(CONSOLE_JS),
    );

    scope.get(`${CONSOLE_PATH}/login`, (request, reply) => {
      const next = safeNext((request.query as Record<string, unknown>)["next"]);
      return send(reply, undefined, { title: "Sign in", body: loginBody(next, undefined) });
    });

    scope.post(`${CONSOLE_PATH}/login`, async (request, reply) => {
      const form = formOf(request);
      const next = safeNext(form["next"]);
      if (!auth.configured) return readerOf(request, reply);
      if (!auth.isApiToken(form["token"] ?? "")) {
        return send(reply, undefined, {
          status: 401,
          title: "Sign in",
          body: loginBody(next, "That token is not the API token."),
        });
      }
      const secure = request.protocol === "https";
      return reply
        .header("Set-Cookie", auth.cookieHeader(auth.newSession(), secure))
        .redirect(next, 303);
    });

    scope.post(`${CONSOLE_PATH}/logout`, async (request, reply) => {
      const reader = await readerOf(request, reply);
      if (!reader) return reply;
      if (!auth.checkCsrf(reader, formOf(request)["csrf"])) return forbidden(reply, reader);
      return reply
        .header("Set-Cookie", auth.cookieHeader("", request.protocol === "https"))
        .redirect(`${CONSOLE_PATH}/login`, 303);
    });

    const forbidden = (reply: FastifyReply, reader: ConsoleReader) =>
      send(reply, reader, {
        status: 403,
        title: "Refused",
        body: html`<p>
          <code>FORBIDDEN</code>: the form's security token is missing or stale; reload the page and
          try again.
        </p>`,
      });

    scope.get(CONSOLE_PATH, async (request, reply) => {
      const reader = await readerOf(request, reply);
      if (!reader) return reply;
      const [states, perMinute, queues, gatepay] = await Promise.all([
        queries.countByState(),
        queries.finalisedPerMinute(Date.now()),
        queueDepths(deps.producer),
        gatepayRates(deps.metrics),
      ]);
      const body = overviewBody({
        states,
        perMinute,
        queues,
        gatepay,
        durability: deps.durability?.(),
      });
      return send(reply, reader, { title: "Overview", current: "overview", body });
    });

    scope.get(`${CONSOLE_PATH}/batches`, async (request, reply) => {
      const reader = await readerOf(request, reply);
      if (!reader) return reply;
      const body = batchesBody(await queries.listBatches());
      return send(reply, reader, { title: "Batches", current: "batches", body });
    });

    scope.get<{ Params: { id: string } }>(`${CONSOLE_PATH}/batches/:id`, async (request, reply) => {
      const reader = await readerOf(request, reply);
      if (!reader) return reply;
      const id = request.params.id;
      const batch = await queries.batch(id);
      if (!batch.meta && Object.keys(batch.counts).length === 0)
        return notFound(reply, reader, `No batch ${id}.`);
      const problems = await queries.batchProblems(id);
      return send(reply, reader, {
        title: `Batch ${id}`,
        current: "batches",
        body: batchBody(batch, problems),
      });
    });

    scope.get<{ Params: { id: string } }>(
      `${CONSOLE_PATH}/batches/:id/progress.json`,
      async (request, reply) => {
        const reader = await readerOf(request, reply);
        if (!reader) return reply;
        return reply.send(batchProgress((await queries.batch(request.params.id)).counts));
      },
    );

    scope.get<{ Params: { id: string } }>(
      `${CONSOLE_PATH}/batches/:id/report.csv`,
      async (request, reply) => {
        const reader = await readerOf(request, reply);
        if (!reader) return reply;
        const id = request.params.id;
        const csv = await batchReportCsv(deps.producer, queries, id);
        return reply
          .type("text/csv; charset=utf-8")
          .header(
            "Content-Disposition",
            `attachment; filename="batch-${id.replace(/[^A-Za-z0-9_.-]/g, "_")}-report.csv"`,
          )
          .send(csv);
      },
    );

    scope.get(`${CONSOLE_PATH}/refunds`, async (request, reply) => {
      const reader = await readerOf(request, reply);
      if (!reader) return reply;
      const raw = (request.query as Record<string, unknown>)["id"];
      const id = typeof raw === "string" ? raw.trim() : "";
      if (id === "") return reply.redirect(CONSOLE_PATH, 303);
      return reply.redirect(consoleHref("refunds", id), 303);
    });

    const refundPage = async (
      reply: FastifyReply,
      reader: ConsoleReader,
      id: string,
      flash?: RefundPageData["flash"],
      status?: number,
    ) => {
      const found = await queries.refund(id);
      if (!found) return notFound(reply, reader, `No refund ${id}.`);
      const jobs = await jobsOf(deps.producer, found.record, found.driverJobId);
      const data: RefundPageData = {
        record: found.record,
        jobs,
        csrf: auth.csrfFor(reader),
        adminConfigured: auth.adminConfigured,
      };
      if (flash) data.flash = flash;
      const page: Page = { title: `Refund ${id}`, current: "refund", body: refundBody(data) };
      if (status !== undefined) page.status = status;
      return send(reply, reader, page);
    };

    scope.get<{ Params: { id: string } }>(`${CONSOLE_PATH}/refunds/:id`, async (request, reply) => {
      const reader = await readerOf(request, reply);
      if (!reader) return reply;
      const replayed = (request.query as Record<string, unknown>)["replayed"] === "1";
      return refundPage(
        reply,
        reader,
        request.params.id,
        replayed
          ? { kind: "ok", text: "Replayed: the worker drives the refund again." }
          : undefined,
      );
    });

    scope.post<{ Params: { id: string } }>(
      `${CONSOLE_PATH}/refunds/:id/replay`,
      async (request, reply) => {
        const reader = await readerOf(request, reply);
        if (!reader) return reply;
        const id = request.params.id;
        const form = formOf(request);
        if (!auth.checkCsrf(reader, form["csrf"])) return forbidden(reply, reader);
        if (!auth.adminConfigured) {
          return refundPage(
            reply,
            reader,
            id,
            {
              kind: "error",
              text: "ADMIN_TOKEN_NOT_CONFIGURED: replay needs ADMIN_TOKEN on the server.",
            },
            503,
          );
        }
        if (!auth.isAdminToken(form["adminToken"] ?? "")) {
          return refundPage(
            reply,
            reader,
            id,
            {
              kind: "error",
              text: "FORBIDDEN: that is not the admin token; nothing was replayed.",
            },
            403,
          );
        }
        const current = await deps.producer.getRefund(id);
        if (!current) return notFound(reply, reader, `No refund ${id}.`);
        // The version on the form is the record the operator looked at: a refund that moved
        // since then is shown again rather than replayed on a stale look.
        if (
          !REPLAYABLE_STATES.has(current.state) ||
          (form["version"] !== undefined && form["version"] !== String(current.version))
        ) {
          return refundPage(
            reply,
            reader,
            id,
            {
              kind: "error",
              text: `NOT_REPLAYABLE: the refund is ${current.state} now (it changed since the page was drawn, or cannot be replayed); nothing was replayed.`,
            },
            409,
          );
        }
        try {
          await deps.producer.replay(id);
        } catch (err) {
          request.log.warn({ err, refundRequestId: id }, "console replay refused");
          return refundPage(
            reply,
            reader,
            id,
            {
              kind: "error",
              text: "NOT_REPLAYABLE: the store refused the replay (the refund changed); nothing was replayed.",
            },
            409,
          );
        }
        request.log.info({ refundRequestId: id, from: current.state }, "console replay");
        return reply.redirect(`${consoleHref("refunds", id)}?replayed=1`, 303);
      },
    );

    scope.get(`${CONSOLE_PATH}/attention`, async (request, reply) => {
      const reader = await readerOf(request, reply);
      if (!reader) return reply;
      const [states, flagged, unmatched] = await Promise.all([
        queries.countByState(),
        queries.attention(),
        queries.unmatchedNotifications(),
      ]);
      const [dead, stuck] = await Promise.all([
        deps.producer.getMany(states.dead),
        deps.producer.getMany(states.stuck),
      ]);
      const body = attentionBody({ dead, stuck, partial: states.partial, flagged, unmatched });
      return send(reply, reader, { title: "Needs attention", current: "attention", body });
    });

    const notFound = (reply: FastifyReply, reader: ConsoleReader, text: string) =>
      send(reply, reader, {
        status: 404,
        title: "Not found",
        body: html`<p><code>NOT_FOUND</code>: ${text}</p>`,
      });

    done();
  });
}

function formOf(request: FastifyRequest): Record<string, string | undefined> {
  const body = request.body;
  if (typeof body !== "object" || body === null) return {};
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    out[k] = typeof v === "string" ? v : Array.isArray(v) ? String(v[0]) : undefined;
  }
  return out;
}

/** A post-login target: a console path only (no open redirect). */
function safeNext(value: unknown): string {
  const s = typeof value === "string" ? value : "";
  return /^\/console(\/[^\\]*)?(\?.*)?$/.test(s) && !s.startsWith("//") ? s : CONSOLE_PATH;
}
