/**
 * One refund: the record's fields, its history as a timeline, GatePay's last answer, the
 * jobs that drive it and, for a `dead` or `stuck` refund, the replay form (the same path
 * as the CLI's `replay`: a dead refund is looked up at GatePay before any re-send).
 */
import type { RefundRecord } from "../../domain/refund-record.js";
import { consoleHref, html, type Html, dataTable } from "./html.js";

/** States a replay may start from: the CLI's `replay` accepts the same. */
export const REPLAYABLE_STATES: ReadonlySet<string> = new Set(["dead", "stuck"]);

/** A BullMQ job as the refund page shows it. */
export interface JobView {
  queue: string;
  id: string;
  state: string;
  attemptsMade: number;
  failedReason?: string;
}

/** What the refund page shows. */
export interface RefundPageData {
  record: RefundRecord;
  jobs: JobView[];
  /** The form's CSRF token; the replay form is drawn only with it. */
  csrf: string;
  /** False when ADMIN_TOKEN is unset: the form says so instead. */
  adminConfigured: boolean;
  /** A message after an action (replayed, refused). */
  flash?: { kind: "ok" | "error"; text: string };
}

/** The refund page's body. */
export function refundBody(d: RefundPageData): Html {
  const r = d.record;
  const req = r.request;
  const amount =
    req.kind === "order"
      ? req.refundAmount
      : `${req.refundOrderAmount} ${req.refundOrderCurrency} (pays ${req.refundPayAmount} ${req.refundPayCurrency})`;
  const flash = d.flash
    ? html`<p class="flash flash-${d.flash.kind}" role="status">${d.flash.text}</p>`
    : "";
  return html`${flash}
    <p class="state">
      State: <strong class="badge st-${r.state}" data-refund-state>${r.state}</strong>
    </p>
    <dl class="fields">
      <dt>Refund id</dt>
      <dd>${r.refundRequestId}</dd>
      <dt>Kind</dt>
      <dd>${r.kind}</dd>
      <dt>Order (prepayId)</dt>
      <dd>${req.prepayId}</dd>
      <dt>Amount</dt>
      <dd>${amount}</dd>
      ${
        req.refundReason
          ? html`<dt>Reason</dt>
              <dd>${req.refundReason}</dd>`
          : ""
      }
      ${
        req.onBehalfOf
          ? html`<dt>On behalf of</dt>
              <dd>${req.onBehalfOf}</dd>`
          : ""
      }
      <dt>Attempts</dt>
      <dd>${r.attempts}</dd>
      <dt>Batch</dt>
      <dd>
        ${r.batchId ? html`<a href="${consoleHref("batches", r.batchId)}">${r.batchId}</a>` : "—"}
      </dd>
      <dt>Created</dt>
      <dd>${r.createdAt}</dd>
      <dt>Updated</dt>
      <dd>${r.updatedAt}</dd>
      ${
        r.lastError
          ? html`<dt>Last error</dt>
              <dd><code>${r.lastError.code}</code> ${r.lastError.message} (${r.lastError.at})</dd>`
          : ""
      }
    </dl>
    ${replayForm(d)}
    <section aria-labelledby="history">
      <h2 id="history">History</h2>
      <ol class="timeline">
        ${r.history.map(
          (h) =>
            html`<li class="st-${h.state}">
              <time datetime="${h.at}">${h.at}</time> <strong>${h.state}</strong>
              <span class="event">${h.event}</span
              >${h.note ? html` <span class="note">${h.note}</span>` : ""}
            </li>`,
        )}
      </ol>
    </section>
    <section aria-labelledby="gatepay-answer">
      <h2 id="gatepay-answer">GatePay's last answer</h2>
      ${gatepayAnswer(r)}
    </section>
    <section aria-labelledby="jobs">
      <h2 id="jobs">Jobs</h2>
      ${jobsTable(d.jobs)}
    </section>`;
}

function gatepayAnswer(r: RefundRecord): Html {
  const g = r.gatepay;
  if (!g) return html`<p>GatePay has not answered about this refund yet.</p>`;
  const rows: [string, string | undefined][] = [
    ["Source", g.source],
    ["At", g.at],
    ["Status", g.status],
    ["GatePay refund id", g.gateRefundId],
    ["Order amount", g.orderAmount],
    ["Refund amount", g.refundAmount],
    ["Currency", g.currency],
    ["Failure reason", g.failReason],
  ];
  return html`<dl class="fields">
    ${rows
      .filter(([, v]) => v !== undefined)
      .map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd>${v}</dd>`,
      )}
  </dl>`;
}

function jobsTable(jobs: JobView[]): Html {
  if (jobs.length === 0) return html`<p>No job drives this refund now.</p>`;
  return dataTable(
    ["Queue", "Job", "State", "Attempts made", "Last failure"],
    jobs.map(
      (j) =>
        html`<tr>
          <td>${j.queue}</td>
          <td><code>${j.id}</code></td>
          <td>${j.state}</td>
          <td>${j.attemptsMade}</td>
          <td>${j.failedReason ?? "—"}</td>
        </tr>`,
    ),
  );
}

function replayForm(d: RefundPageData): Html | "" {
  const r = d.record;
  if (!REPLAYABLE_STATES.has(r.state)) return "";
  const what =
    r.state === "dead"
      ? "The worker first looks the refund up at GatePay by its id, and sends it again (with the same id) only if GatePay does not know it."
      : "The refund is polled again with a new deadline; nothing is sent.";
  if (!d.adminConfigured) {
    return html`<section aria-labelledby="replay">
      <h2 id="replay">Replay</h2>
      <p>${what}</p>
      <p>Replay needs ADMIN_TOKEN, which is not configured on this server.</p>
    </section>`;
  }
  return html`<section aria-labelledby="replay">
    <h2 id="replay">Look up and replay</h2>
    <p>${what}</p>
    <form
      method="post"
      action="${consoleHref("refunds", r.refundRequestId, "replay")}"
      class="replay"
    >
      <input type="hidden" name="csrf" value="${d.csrf}" />
      <input type="hidden" name="version" value="${r.version}" />
      <label for="admin-token">Admin token</label>
      <input id="admin-token" name="adminToken" type="password" required autocomplete="off" />
      <button type="submit">Replay ${r.refundRequestId}</button>
    </form>
  </section>`;
}
