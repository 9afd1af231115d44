/**
 * The console's stylesheet and script, served from its own origin (the CSP allows no
 * inline code). The script only adds live progress: every page reads fine without it.
 */

/** `console.css`: plain, readable from 390 px (one column) to wide screens. */
export const CONSOLE_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --accent: #0b5cad;
  --succeeded: #1a7f37; --failed: #cf222e; --rejected: #8c2f39; --dead: #6e2a8a; --stuck: #bc4c00;
  --queued: #8c959f; --submitting: #54aeff; --accepted: #0969da; --processing: #218bff; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid #fb8c00; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 1; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; padding: 8px 16px; border-bottom: 1px solid var(--line); }
header .brand { margin: 0; font-weight: 700; }
nav { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; flex: 1; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; border-bottom: 3px solid var(--accent); }
form.search { display: flex; gap: 6px; align-items: center; }
form.search input { width: 12em; max-width: 40vw; }
form.logout { margin-left: auto; }
main { padding: 8px 16px 48px; max-width: 1200px; }
h1 { font-size: 1.6rem; margin: 12px 0; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 24px 0 8px; overflow-wrap: anywhere; }
input, button { font: inherit; padding: 4px 8px; }
button { cursor: pointer; }
table { border-collapse: collapse; min-width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td { overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table.counts { min-width: 0; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
dl.inline dt { font-weight: 600; }
dl.inline dd { margin: 0 0 4px; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  dl.fields { grid-template-columns: 1fr; }
  dl.fields dd { margin-bottom: 8px; }
  main, header { padding-left: 10px; padding-right: 10px; }
  form.logout { margin-left: 0; }
}
.note { color: var(--muted); }
.flash { padding: 8px 12px; border-radius: 4px; }
.flash-ok { background: #dafbe1; }
.flash-error { background: #ffebe9; }
svg.bar { width: 100%; height: 18px; display: block; background: #f6f8fa; border: 1px solid var(--line); }
svg.chart { width: 100%; height: 120px; display: block; background: #f6f8fa; border: 1px solid var(--line); }
svg.chart rect { fill: var(--accent); }
progress { width: 12em; max-width: 50%; }
ul.legend { display: flex; flex-wrap: wrap; gap: 2px 16px; list-style: none; padding: 0; margin: 6px 0; font-size: 0.9rem; }
ul.batches { list-style: none; padding: 0; }
li.batch { border-bottom: 1px solid var(--line); padding-bottom: 12px; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 6px; border: 1px solid #0003; }
.badge { padding: 1px 8px; border-radius: 10px; color: #fff; background: var(--muted); }
ol.timeline { list-style: none; padding: 0 0 0 16px; border-left: 3px solid var(--line); }
ol.timeline li { margin: 0 0 8px; position: relative; overflow-wrap: anywhere; }
ol.timeline time { color: var(--muted); font-variant-numeric: tabular-nums; }
ol.timeline .event { font-family: ui-monospace, monospace; font-size: 0.9rem; }
form.replay { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
form.login { display: grid; gap: 8px; max-width: 24em; }
.st-queued { fill: var(--queued); background: var(--queued); }
.st-submitting { fill: var(--submitting); background: var(--submitting); }
.st-accepted { fill: var(--accepted); background: var(--accepted); }
.st-processing { fill: var(--processing); background: var(--processing); }
.st-succeeded { fill: var(--succeeded); background: var(--succeeded); }
.st-failed { fill: var(--failed); background: var(--failed); }
.st-rejected { fill: var(--rejected); background: var(--rejected); }
.st-dead { fill: var(--dead); background: var(--dead); }
.st-stuck { fill: var(--stuck); background: var(--stuck); }
ol.timeline li.st-queued, ol.timeline li.st-submitting, ol.timeline li.st-accepted, ol.timeline li.st-processing,
ol.timeline li.st-succeeded, ol.timeline li.st-failed, ol.timeline li.st-rejected, ol.timeline li.st-dead, ol.timeline li.st-stuck { background: none; }
`;

/**
 * `console.js`: live progress. Each progress block (\`data-batch\`) asks its batch's
 * \`progress.json\` every 2 s and copies the numbers in, until every refund is final.
 */
export const CONSOLE_JS = `"use strict";
(function () {
  var STATES = ["queued","submitting","accepted","processing","succeeded","failed","rejected","dead","stuck"];
  function update(block, p) {
    var set = function (sel, v) { var el = block.querySelector(sel); if (el) el.textContent = String(v); };
    set("[data-percent]", p.percent);
    set("[data-final]", p.final);
    set("[data-total]", p.total);
    var bar = block.querySelector("[data-progress]");
    if (bar) { bar.value = p.percent; bar.textContent = p.percent + " %"; }
    var x = 0;
    STATES.forEach(function (s) {
      var n = p.byState[s] || 0;
      set('[data-count="' + s + '"]', n);
      var seg = block.querySelector('[data-seg="' + s + '"]');
      var w = p.total === 0 ? 0 : (n * 100) / p.total;
      if (seg) { seg.setAttribute("x", x.toFixed(3)); seg.setAttribute("width", w.toFixed(3)); }
      x += w;
    });
  }
  function watch(block) {
    var id = block.getAttribute("data-batch");
    var url = "/console/batches/" + encodeURIComponent(id) + "/progress.json";
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) return;
          update(block, p);
          if (p.total === 0 || p.final < p.total) setTimeout(tick, 2000);
        })
        .catch(function () { setTimeout(tick, 5000); });
    };
    setTimeout(tick, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-batch]"), watch);
  });
})();
`;
