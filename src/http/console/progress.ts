/**
 * A batch's progress: counts by state → the share that is final, and the bar that shows
 * it. The same data feeds the page and the live updates (`progress.json`), so the script
 * only copies numbers into the page the server already drew.
 */
import { FINAL_STATES } from "../../domain/refund-state.js";
import { REFUND_STATES, type RefundState } from "../../domain/refund-record.js";
import type { BatchCounts } from "../../store/refund-store.js";
import { html, type Html } from "./html.js";

/** A batch's progress as the page and `progress.json` show it. */
export interface BatchProgress {
  total: number;
  final: number;
  /** Whole percent of refunds in a final state (0 when there are none). */
  percent: number;
  byState: Partial<Record<RefundState, number>>;
}

const FINAL: ReadonlySet<string> = new Set(FINAL_STATES);

/** Progress from a batch's counts by state. */
export function batchProgress(counts: BatchCounts): BatchProgress {
  const byState: Partial<Record<RefundState, number>> = {};
  let total = 0;
  let final = 0;
  for (const state of REFUND_STATES) {
    const n = Math.max(0, counts[state] ?? 0);
    if (n === 0) continue;
    byState[state] = n;
    total += n;
    if (FINAL.has(state)) final += n;
  }
  const percent = total === 0 ? 0 : Math.floor((final * 100) / total);
  return { total, final, percent, byState };
}

/**
 * The bar: a `<progress>` element for the share that is final (what assistive technology
 * reads), a segmented SVG by state (widths are attributes, which the CSP allows where
 * inline styles are not) and a text legend. `data-*` hooks let the script update it.
 */
export function progressBar(batchId: string, p: BatchProgress): Html {
  let x = 0;
  const segments = REFUND_STATES.map((state) => {
    const n = p.byState[state] ?? 0;
    const width = p.total === 0 ? 0 : (n * 100) / p.total;
    const rect = html`<rect
      class="st-${state}"
      data-seg="${state}"
      x="${x.toFixed(3)}"
      y="0"
      width="${width.toFixed(3)}"
      height="10"
    ></rect>`;
    x += width;
    return rect;
  });
  const legend = REFUND_STATES.map(
    (state) =>
      html`<li class="legend-${state}">
        <span class="swatch st-${state}" aria-hidden="true"></span>${state}:
        <span data-count="${state}">${p.byState[state] ?? 0}</span>
      </li>`,
  );
  return html`<div class="progress" data-batch="${batchId}">
    <p>
      <label for="progress-${batchId}">Final</label>
      <progress id="progress-${batchId}" data-progress max="100" value="${p.percent}">
        ${p.percent} %
      </progress>
      <strong><span data-percent>${p.percent}</span> %</strong>
      (<span data-final>${p.final}</span> of <span data-total>${p.total}</span> refunds final)
    </p>
    <svg
      class="bar"
      viewBox="0 0 100 10"
      preserveAspectRatio="none"
      role="img"
      aria-label="refunds by state"
    >
      ${segments}
    </svg>
    <ul class="legend">
      ${legend}
    </ul>
  </div>`;
}
