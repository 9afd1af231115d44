/**
 * What needs a human: `dead` refunds (replayable: looked up at GatePay before any
 * re-send), `stuck` ones (accepted, no final status by the deadline), the attention index
 * (conflicting answers such as a late success after a refusal) and GatePay notifications
 * for refunds this deployment does not know.
 */
import type { RefundRecord } from "../../domain/refund-record.js";
import type { AttentionItem, UnmatchedNotification } from "../../store/console-queries.js";
import { consoleHref, html, isoTime, type Html, dataTable } from "./html.js";

/** What the attention page shows. */
export interface AttentionData {
  dead: (RefundRecord | null)[];
  stuck: (RefundRecord | null)[];
  /** True when the walk over records stopped at its cap. */
  partial: boolean;
  flagged: AttentionItem[];
  unmatched: UnmatchedNotification[];
}

/** The attention page's body. */
export function attentionBody(d: AttentionData): Html {
  return html`${d.partial ? html`<p class="note">Dead and stuck refunds were looked for in part of the records only.</p>` : ""}
    <section aria-labelledby="dead">
      <h2 id="dead">Dead (${d.dead.length})</h2>
      <p>
        Retryable errors outlasted the attempts. Replay is safe: the worker looks the refund up at
        GatePay first.
      </p>
      ${recordTable(d.dead, "Look up and replay")}
    </section>
    <section aria-labelledby="stuck">
      <h2 id="stuck">Stuck (${d.stuck.length})</h2>
      <p>
        GatePay accepted these but gave no final status before the deadline. Replay polls again;
        nothing is sent.
      </p>
      ${recordTable(d.stuck, "Look up and poll again")}
    </section>
    <section aria-labelledby="flagged">
      <h2 id="flagged">Conflicts (${d.flagged.length})</h2>
      <p>
        GatePay's answers disagree with the record (for example a success after a refusal). Never
        replayed from here: check with GatePay.
      </p>
      ${flaggedTable(d.flagged)}
    </section>
    <section aria-labelledby="unmatched">
      <h2 id="unmatched">Unmatched GatePay notifications (${d.unmatched.length})</h2>
      ${unmatchedTable(d.unmatched)}
    </section>`;
}

function recordTable(records: (RefundRecord | null)[], action: string): Html {
  const rows = records
    .filter((r): r is RefundRecord => r !== null)
    .map(
      (r) =>
        html`<tr>
          <td><a href="${consoleHref("refunds", r.refundRequestId)}">${r.refundRequestId}</a></td>
          <td>${r.request.prepayId}</td>
          <td>${r.attempts}</td>
          <td>
            ${r.lastError ? html`<code>${r.lastError.code}</code> ${r.lastError.message}` : "—"}
          </td>
          <td>${r.updatedAt}</td>
          <td>
            <a href="${consoleHref("refunds", r.refundRequestId)}#replay"
              >${action}<span class="visually-hidden"> ${r.refundRequestId}</span></a
            >
          </td>
        </tr>`,
    );
  if (rows.length === 0) return html`<p>None.</p>`;
  return dataTable(["Refund", "Order", "Attempts", "Last error", "Since", "Action"], rows);
}

function flaggedTable(items: AttentionItem[]): Html {
  if (items.length === 0) return html`<p>None.</p>`;
  return dataTable(
    ["Refund", "State", "Code", "Detail", "Flagged"],
    items.map(
      (i) =>
        html`<tr>
          <td>
            <a href="${consoleHref("refunds", i.refundRequestId)}">${i.refundRequestId}</a>
          </td>
          <td>${i.record?.state ?? "no record"}</td>
          <td><code>${i.attention?.code ?? "—"}</code></td>
          <td>${i.attention?.detail ?? "—"}</td>
          <td>${i.attention?.at ?? isoTime(i.atMs)}</td>
        </tr>`,
    ),
  );
}

// A notification's signature or any credential-like field is never shown.
const HIDDEN_FIELD = /sign|secret|token|key|auth|password/i;

function unmatchedTable(items: UnmatchedNotification[]): Html {
  if (items.length === 0) return html`<p>None.</p>`;
  return dataTable(
    ["Received", "Fields"],
    items.map(
      (n) =>
        html`<tr>
          <td>${isoTime(Number(n.id.split("-")[0]))}</td>
          <td>
            <dl class="inline">
              ${Object.entries(n.fields)
                .filter(([k]) => !HIDDEN_FIELD.test(k))
                .map(
                  ([k, v]) =>
                    html`<dt>${k}</dt>
                      <dd>${v}</dd>`,
                )}
            </dl>
          </td>
        </tr>`,
    ),
  );
}
