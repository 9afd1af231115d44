/**
 * The batches list and one batch: a progress bar by state (updated live by the script),
 * the rows that made no refund, and the report to download.
 */
import type { BatchRowProblemEntry } from "../../store/batch-store.js";
import type { BatchSummary } from "../../store/console-queries.js";
import { consoleHref, html, isoTime, type Html, dataTable } from "./html.js";
import { batchProgress, progressBar } from "./progress.js";

/** The list of batches, newest first. */
export function batchesBody(batches: BatchSummary[]): Html {
  if (batches.length === 0) {
    return html`<p>No batch yet. Run <code>gatepay-refunds batch FILE</code> to start one.</p>`;
  }
  const items = batches.map((b) => {
    const p = batchProgress(b.counts);
    return html`<li class="batch">
      <h2><a href="${consoleHref("batches", b.batchId)}">${b.batchId}</a></h2>
      <p class="meta">
        Started
        ${isoTime(b.createdAtMs)}${b.meta ? html` · ${b.meta.rows} rows, ${b.meta.invalid + b.meta.duplicates} refused · ${b.meta.status}` : ""}
      </p>
      ${progressBar(b.batchId, p)}
    </li>`;
  });
  return html`<ul class="batches">
    ${items}
  </ul>`;
}

/** One batch's page. */
export function batchBody(b: BatchSummary, problems: BatchRowProblemEntry[]): Html {
  const p = batchProgress(b.counts);
  const m = b.meta;
  const meta = m
    ? html`<dl class="fields">
        <dt>File</dt>
        <dd>${m.file}</dd>
        <dt>Started</dt>
        <dd>${m.createdAt}</dd>
        <dt>Last run</dt>
        <dd>${m.lastRunAt} (run ${m.runs}, ${m.status}${m.error ? `: ${m.error}` : ""})</dd>
        <dt>Rows read</dt>
        <dd>${m.rowsRead}</dd>
        <dt>Refunds created</dt>
        <dd>${m.created}</dd>
        <dt>Already known</dt>
        <dd>${m.existing}</dd>
        <dt>Invalid rows</dt>
        <dd>${m.invalid}</dd>
        <dt>Repeated ids</dt>
        <dd>${m.duplicates}</dd>
        <dt>Conflicts</dt>
        <dd>${m.conflicts}</dd>
        <dt>Over-refunds</dt>
        <dd>${m.overRefunds}</dd>
      </dl>`
    : html`<p>No file metadata: these refunds were counted under this batch id by the API.</p>`;
  const problemRows = problems.map(
    (r) =>
      html`<tr>
        <td>${r.line}</td>
        <td>${r.kind}</td>
        <td>${r.refundRequestId ?? "—"}</td>
        <td><code>${r.code}</code></td>
        <td>${r.message}</td>
      </tr>`,
  );
  const problemTable =
    problems.length === 0
      ? html`<p>Every row read made a refund.</p>`
      : dataTable(["Line", "Kind", "Refund id", "Code", "Reason"], problemRows);
  return html`${progressBar(b.batchId, p)}
    <p>
      <a href="${consoleHref("batches", b.batchId, "report.csv")}" download
        >Download the report (CSV)</a
      >
    </p>
    <section aria-labelledby="about">
      <h2 id="about">Run</h2>
      ${meta}
    </section>
    <section aria-labelledby="problems">
      <h2 id="problems">Rows that made no refund</h2>
      ${problemTable}
    </section>`;
}
