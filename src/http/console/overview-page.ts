/**
 * The overview: refunds by state, refunds finalised per minute over the last hour (an
 * SVG bar chart with a table beside it for screen readers and text browsers), queue
 * depths, GatePay error rates of this process and the durability mode.
 */
import { REFUND_STATES } from "../../domain/refund-record.js";
import type { MinuteBucket, StateCounts } from "../../store/console-queries.js";
import { consoleHref, html, isoTime, type Html, dataTable } from "./html.js";

/** One queue's job counts by BullMQ state. */
export interface QueueDepth {
  name: string;
  counts: Record<string, number>;
}

/** GatePay HTTP attempts of this process for one endpoint. */
export interface GatePayRate {
  endpoint: string;
  attempts: number;
  errors: number;
  byOutcome: Record<string, number>;
}

/** What the overview shows. */
export interface OverviewData {
  states: StateCounts;
  perMinute: MinuteBucket[];
  queues: QueueDepth[];
  gatepay: GatePayRate[];
  durability: { mode: string; [key: string]: unknown } | undefined;
}

const QUEUE_COLUMNS = ["waiting", "active", "delayed", "prioritized", "completed", "failed"];

/** The overview's body. */
export function overviewBody(d: OverviewData): Html {
  const stateRows = REFUND_STATES.map(
    (s) =>
      html`<tr>
        <th scope="row"><span class="swatch st-${s}" aria-hidden="true"></span>${s}</th>
        <td data-state-count="${s}">${d.states.counts[s] ?? 0}</td>
      </tr>`,
  );
  const partial = d.states.partial
    ? html`<p class="note">Counted over the first ${d.states.scanned} records only.</p>`
    : "";
  return html`<section aria-labelledby="by-state">
      <h2 id="by-state">Refunds by state</h2>
      <table class="counts">
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Refunds</th>
          </tr>
        </thead>
        <tbody>
          ${stateRows}
        </tbody>
      </table>
      ${partial}
      <p>
        <a href="${consoleHref("attention")}"
          >${(d.states.counts.dead ?? 0) + (d.states.counts.stuck ?? 0)} dead or stuck: see what
          needs attention</a
        >
      </p>
    </section>
    <section aria-labelledby="per-minute">
      <h2 id="per-minute">Finalised per minute, last hour</h2>
      ${minuteChart(d.perMinute)}
    </section>
    <section aria-labelledby="queues">
      <h2 id="queues">Queues</h2>
      ${queueTable(d.queues)}
    </section>
    <section aria-labelledby="gatepay">
      <h2 id="gatepay">GatePay requests (this process, since start)</h2>
      ${gatepayTable(d.gatepay)}
    </section>
    <section aria-labelledby="durability">
      <h2 id="durability">Durability</h2>
      ${durability(d.durability)}
    </section>`;
}

function minuteChart(buckets: MinuteBucket[]): Html {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const barWidth = 100 / Math.max(1, buckets.length);
  const bars = buckets.map((b, i) => {
    const h = (b.count * 40) / max;
    return html`<rect
      x="${(i * barWidth + 0.1).toFixed(3)}"
      y="${(40 - h).toFixed(3)}"
      width="${(barWidth - 0.2).toFixed(3)}"
      height="${h.toFixed(3)}"
      ><title>${isoTime(b.startMs)}: ${b.count}</title></rect
    >`;
  });
  const rows = buckets
    .filter((b) => b.count > 0)
    .map(
      (b) =>
        html`<tr>
          <td>${isoTime(b.startMs)}</td>
          <td>${b.count}</td>
        </tr>`,
    );
  return html`<p>
      ${total} refunds reached a final state in the last hour (peak
      ${max === 1 && total === 0 ? 0 : max} per minute).
    </p>
    <svg
      class="chart"
      viewBox="0 0 100 40"
      preserveAspectRatio="none"
      role="img"
      aria-label="refunds finalised per minute over the last hour"
    >
      ${bars}
    </svg>
    <details>
      <summary>Minutes with finalised refunds</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Minute (UTC)</th>
            <th scope="col">Finalised</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </details>`;
}

function queueTable(queues: QueueDepth[]): Html {
  const head = QUEUE_COLUMNS.map((c) => html`<th scope="col">${c}</th>`);
  const rows = queues.map(
    (q) =>
      html`<tr>
        <th scope="row">${q.name}</th>
        ${QUEUE_COLUMNS.map((c) => html`<td>${q.counts[c] ?? 0}</td>`)}
      </tr>`,
  );
  return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            ${head}
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </div>
    <p><a href="/admin/queues/">Jobs in the queue dashboard</a></p>`;
}

function gatepayTable(rates: GatePayRate[]): Html {
  if (rates.length === 0) return html`<p>No GatePay request from this process yet.</p>`;
  const rows = rates.map((r) => {
    const pct = r.attempts === 0 ? 0 : (r.errors * 100) / r.attempts;
    const detail = Object.entries(r.byOutcome)
      .filter(([o]) => o !== "ok")
      .map(([o, n]) => `${o} ${n}`)
      .join(", ");
    return html`<tr>
      <th scope="row">${r.endpoint}</th>
      <td>${r.attempts}</td>
      <td>${r.errors}</td>
      <td>${pct.toFixed(1)} %</td>
      <td>${detail || "—"}</td>
    </tr>`;
  });
  return dataTable(["Endpoint", "Attempts", "Errors", "Error rate", "By kind"], rows);
}

function durability(d: OverviewData["durability"]): Html {
  if (!d) return html`<p>Mode: <strong>not reported</strong></p>`;
  const extra = Object.entries(d)
    .filter(([k]) => k !== "mode")
    .map(([k, v]) => html`<li>${k}: ${typeof v === "string" ? v : JSON.stringify(v)}</li>`);
  return html`<p>Mode: <strong>${d.mode}</strong></p>
    ${
      extra.length > 0
        ? html`<ul>
            ${extra}
          </ul>`
        : ""
    }`;
}
