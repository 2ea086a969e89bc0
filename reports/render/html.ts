/**
 * The HTML report: one self-contained page (no scripts, no external resources) with an
 * overview heat map of the change in cycles/op against the baseline, a coverage heat map
 * (strategy × stray class), and per workload a chart of cycles/op with 95% CIs, a stacked
 * cost breakdown by ledger category and the same table as the markdown report. Charts are
 * vega-lite specs compiled to vega and rendered to SVG in Node, then inlined.
 */

import type { CostEntry, ResultDocument } from "../results/results.ts";
import { comparisonCharts, specToSvg } from "./charts.ts";
import { adoptionRows, adoptionTitle, type Renderer, type RenderOptions } from "./common.ts";
import { type ReportModel, reportModel, type Section } from "./model.ts";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** The workload table of the report model, as HTML (no numbers for cells that have none). */
function tableHtml(model: ReportModel, section: Section): string {
  const head = [
    "strategy",
    "cycles/op (mean ± 95% CI)",
    "vs base [paired 95% CI]",
    ...model.columns.map((c) => c.long),
  ];
  const rows = section.rows.map((row) => {
    const change = `${row.change}${row.star ? "*" : ""}${row.interval ? ` ${row.interval}` : ""}`;
    const cls = row.status === "ok" ? "" : ` class="${row.status}"`;
    const cells = [row.label, row.shown ? row.primary : row.status, change, ...row.values];
    return `<tr${cls}>${cells.map((v, i) => `<td${i > 0 ? ' class="num"' : ""}>${escapeHtml(v)}</td>`).join("")}</tr>`;
  });
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`;
}

export const HTML_STYLE = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}
.disclaimer{border-left:4px solid #e0a000;padding:.3em .8em;background:#fff8e1}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}
figure{margin:.5em 0}.notes{color:#844}
tr.partial td{background:repeating-linear-gradient(45deg,#fff,#fff 4px,#fff3e0 4px,#fff3e0 8px)}
tr.unsupported td,tr.failed td{background:#eee;color:#666}`;

/** The cost profile in effect, every parameter with its provenance, in a collapsed block. */
function profileHtml(doc: ResultDocument): string {
  const { costProfile } = doc.context;
  const rows: string[] = [];
  const add = (owner: string, name: string, entry: CostEntry) =>
    rows.push(
      `<tr><td>${escapeHtml(owner)}</td><td><code>${escapeHtml(name)}</code></td><td class="num">${escapeHtml(String(entry.value))}</td><td>${escapeHtml(entry.unit)}</td><td>${escapeHtml(entry.confidence)}</td><td>${escapeHtml(entry.source)}</td></tr>`,
    );
  for (const [name, entry] of Object.entries(costProfile.parameters)) add("profile", name, entry);
  for (const [strategy, entries] of Object.entries(costProfile.strategyParameters)) {
    for (const [name, entry] of Object.entries(entries)) add(strategy, name, entry);
  }
  return [
    `<details><summary>Cost profile ${escapeHtml(costProfile.name)}: ${rows.length} parameters with their sources</summary>`,
    `<p>${escapeHtml(costProfile.summary)}</p>`,
    "<table>",
    "<thead><tr><th>owner</th><th>parameter</th><th>value</th><th>unit</th><th>confidence</th><th>source</th></tr></thead>",
    `<tbody>\n${rows.join("\n")}\n</tbody>`,
    "</table>",
    "</details>",
  ].join("\n");
}

async function renderHtml(doc: ResultDocument, options?: RenderOptions): Promise<string> {
  const model = reportModel(doc, options);
  const [identity, setup, disclaimer] = model.header;
  const list = (lines: readonly string[]) =>
    `<ul>${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`;
  const parts: string[] = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>pkslab comparison ${escapeHtml(doc.context.configHash)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    "</head>",
    "<body>",
    "<h1>pkslab comparison</h1>",
    `<p>${escapeHtml(identity)}<br>${escapeHtml(setup)}</p>`,
    `<p class="disclaimer">${escapeHtml(disclaimer)}</p>`,
  ];
  const charts = comparisonCharts(doc);
  let index = 0;
  for (const chart of charts.filter((c) => c.workload === undefined)) {
    parts.push(
      `<h2>${escapeHtml(chart.title)}</h2>`,
      `<figure>${await specToSvg(chart.spec, chart.name.replace(/[^a-z]/g, ""))}</figure>`,
    );
  }
  for (const section of model.sections) {
    parts.push(`<h2>${escapeHtml(section.workload)}</h2>`);
    for (const chart of charts.filter((c) => c.workload === section.workload)) {
      parts.push(
        `<figure>${await specToSvg(chart.spec, `${chart.name.endsWith("-cycles") ? "workload" : "breakdown"}${index}`)}</figure>`,
      );
    }
    index++;
    parts.push(tableHtml(model, section));
    const notes = [...section.statusNotes, ...section.identicalNotes];
    if (section.setupNote) notes.push(section.setupNote);
    if (notes.length > 0) {
      parts.push(
        `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`,
      );
    }
  }
  const overall = model.overall;
  if (overall) {
    parts.push(`<h2>${escapeHtml(overall.title.replace(/^overall: /, "Overall: "))}</h2>`);
    if (overall.lines.some((line) => line.change !== "-")) {
      parts.push(
        "<table>",
        "<thead><tr><th>strategy</th><th>change</th><th>95% CI</th><th>min / median / max</th><th>ok on</th></tr></thead>",
        "<tbody>",
        ...overall.lines.map(
          (line) =>
            `<tr><td>${escapeHtml(line.strategy)}</td><td class="num">${escapeHtml(`${line.change}${line.star ? "*" : ""}`)}</td><td class="num">${escapeHtml(line.interval)}</td><td class="num">${escapeHtml(line.range)}</td><td class="num">${escapeHtml(line.served)}</td></tr>`,
        ),
        "</tbody>",
        "</table>",
      );
    }
    if (overall.excluded.length > 0) {
      parts.push(`<p>Not in the overall: ${escapeHtml(overall.excluded.join("; "))}.</p>`);
    }
  }
  const adoption = adoptionRows(doc);
  if (adoption.length > 0) {
    parts.push(
      `<h2>${escapeHtml(adoptionTitle(doc).replace(/^adoption: /, "Adoption: "))}</h2>`,
      "<table>",
      "<thead><tr><th>strategy</th><th>sites</th><th>what changes</th></tr></thead>",
      "<tbody>",
      ...adoption.map(
        (entry) =>
          `<tr><td>${escapeHtml(entry.strategy)}</td><td class="num">${escapeHtml(entry.sites)}</td><td>${escapeHtml(entry.summary)}</td></tr>`,
      ),
      "</tbody>",
      "</table>",
    );
  }
  parts.push(
    "<h2>Legend</h2>",
    list(model.legend),
    "<h2>Strategies</h2>",
    list(model.glossary),
    "<h2>Costs</h2>",
    list(model.unverified),
    `<p>${model.provenance.map(escapeHtml).join("<br>")}</p>`,
    profileHtml(doc),
    "<p>Reproduce:</p>",
    `<pre>${escapeHtml(model.reproduce)}</pre>`,
    "</body>",
    "</html>",
    "",
  );
  return parts.join("\n");
}

/** The `html` format. */
export const htmlRenderer: Renderer = {
  format: "html",
  extension: "html",
  description: "one self-contained HTML page with inline SVG charts",
  render: renderHtml,
};
