/**
 * HTML building for the console: every value that reaches a page goes through
 * {@link esc} (or {@link attr}); pages are plain strings with no template engine. The
 * layout links one stylesheet and one script from the console's own origin, which the
 * Content-Security-Policy ({@link CONSOLE_CSP}) allows and nothing else: no inline script,
 * no inline style, no third-party origin.
 */

/** The console's Content-Security-Policy: own-origin assets only, no inline code. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Where the console is mounted. */
export const CONSOLE_PATH = "/console";

/** A string that is already HTML (built by this module from escaped parts). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Escapes text for an HTML element body or a quoted attribute. */
export function esc(value: string | number | boolean | null | undefined): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Tagged template: interpolated values are escaped unless they are {@link Html}; arrays
 * are joined (each item escaped the same way).
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join("");
  if (v === undefined || v === null || v === false) return "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return esc(v);
  return esc(JSON.stringify(v));
}

/** A path under the console, each segment URL-encoded. */
export function consoleHref(...segments: string[]): string {
  return [CONSOLE_PATH, ...segments.map((s) => encodeURIComponent(s))].join("/");
}

/** What the layout needs besides the page body. */
export interface LayoutOptions {
  title: string;
  /** Which navigation entry is current. */
  current?: "overview" | "batches" | "attention" | "refund";
  /** Shows the sign-out button and the refund search (false on the login page). */
  signedIn?: boolean;
  /** The session's CSRF token (for the sign-out form). */
  csrf?: string;
}

const NAV: { key: NonNullable<LayoutOptions["current"]>; href: string; label: string }[] = [
  { key: "overview", href: CONSOLE_PATH, label: "Overview" },
  { key: "batches", href: `${CONSOLE_PATH}/batches`, label: "Batches" },
  { key: "attention", href: `${CONSOLE_PATH}/attention`, label: "Needs attention" },
];

/** The whole page around `body`. */
export function layout(options: LayoutOptions, body: Html): string {
  const signedIn = options.signedIn ?? true;
  const nav = signedIn
    ? html`<nav aria-label="Console">
        <ul>
          ${NAV.map(
            (n) =>
              html`<li>
                <a
                  href="${n.href}"
                  ${n.key === options.current ? new Html(' aria-current="page"') : ""}
                  >${n.label}</a
                >
              </li>`,
          )}
        </ul>
        <form class="search" method="get" action="${CONSOLE_PATH}/refunds" role="search">
          <label for="refund-search">Refund id</label>
          <input
            id="refund-search"
            name="id"
            type="search"
            required
            maxlength="128"
            autocomplete="off"
          />
          <button type="submit">Find</button>
        </form>
        <form method="post" action="${CONSOLE_PATH}/logout" class="logout">
          <input type="hidden" name="csrf" value="${options.csrf ?? ""}" />
          <button type="submit">Sign out</button>
        </form>
      </nav>`
    : "";
  return `<!doctype html>${
    html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · GatePay refunds console</title>
        <link rel="stylesheet" href="${CONSOLE_PATH}/assets/console.css" />
        <script src="${CONSOLE_PATH}/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <p class="brand"><a href="${CONSOLE_PATH}">GatePay refunds</a></p>
          ${nav}
        </header>
        <main id="main" tabindex="-1">
          <h1>${options.title}</h1>
          ${body}
        </main>
      </body>
    </html>`.value
  }`;
}

/** Formats an epoch-ms time as ISO-8601 UTC (seconds), or "—". */
export function isoTime(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms)
    ? "—"
    : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A table in a scrolling box: one `<th scope="col">` per heading, then the rows. */
export function dataTable(headings: readonly string[], rows: unknown): Html {
  return html`<div class="scroll">
    <table>
      <thead>
        <tr>
          ${headings.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}
