/**
 * The HTML report: one self-contained page (no scripts, no external resources) with an
 * overview heat map of the change in cycles/op against the baseline, a coverage heat map
 * (strategy × stray class), and per workload a chart of cycles/op with 95% CIs, a stacked
 * cost breakdown by ledger category and the same table as the markdown report. Charts are
 * vega-lite specs compiled to vega and rendered to SVG in Node, then inlined.
 */
import type { TopLevelSpec } from "vega-lite";
import type { CostEntry, ResultDocument } from "../results.ts";
import {
  adoptionRows,
  adoptionTitle,
  baselineCell,
  byWorkload,
  DIFFERENCE_LEGEND,
  delta,
  deltaCi,
  extraMetrics,
  formatNumber,
  formatWithCi,
  headerLines,
  legendLines,
  overallRows,
  overallTitle,
  PRIMARY_METRIC,
  type Renderer,
  type RenderOptions,
  statusNotes,
  strategyLabel,
  unitOf,
  versionLines,
} from "./common.ts";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Renders a vega-lite spec to an SVG string (headless, no canvas). Vega numbers gradient
 * and clip ids with a process-wide counter; they are renamed to `<prefix>-<n>` in order of
 * appearance, so the output is deterministic and ids are unique within one page.
 */
export async function specToSvg(spec: TopLevelSpec, prefix = "chart"): Promise<string> {
  // Loaded on first use: vega and vega-lite take about 0.4 s to load, which the text
  // formats should not pay.
  const [{ parse, View }, { compile }] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const renamed = new Map<string, string>();
  return svg.replace(/\b(gradient|clip|pattern)_\d+\b/g, (id) => {
    let name = renamed.get(id);
    if (name === undefined) {
      name = `${prefix}-${id.replace(/_\d+$/, "")}-${renamed.size}`;
      renamed.set(id, name);
    }
    return name;
  });
}

const FONT = { font: "system-ui, sans-serif" };

function workloadChart(doc: ResultDocument, workload: string): TopLevelSpec | undefined {
  const cells = doc.results.filter(
    (cell) => cell.workload === workload && cell.summary[PRIMARY_METRIC],
  );
  const values = cells
    .map((cell) => {
      const s = cell.summary[PRIMARY_METRIC];
      return {
        strategy: cell.strategy,
        mean: s.mean,
        low: s.ciLow ?? s.mean,
        high: s.ciHigh ?? s.mean,
        baseline: cell.strategy === doc.context.config.baseline ? "baseline" : "candidate",
      };
    })
    .filter((value) => value.mean !== null);
  if (values.length === 0) return undefined;
  const y = {
    field: "strategy",
    type: "nominal" as const,
    sort: values.map((v) => v.strategy),
    title: null,
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: 520,
    height: { step: 22 },
    config: { ...FONT, axis: { labelFont: FONT.font, titleFont: FONT.font } },
    data: { values },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          y,
          x: { field: "mean", type: "quantitative", title: "cycles/op (mean, 95% CI)" },
          color: {
            field: "baseline",
            type: "nominal",
            scale: { domain: ["baseline", "candidate"], range: ["#9e9e9e", "#4c78a8"] },
            legend: null,
          },
        },
      },
      {
        mark: { type: "rule", color: "black" },
        encoding: {
          y,
          x: { field: "low", type: "quantitative" },
          x2: { field: "high" },
        },
      },
    ],
  };
}

/**
 * A labelled heat map: one rectangle per (x, y) cell coloured by `color.field`, with the
 * cell's `label` written on it, white where the colour is strong (`darkWhen`).
 */
function heatMap(
  values: readonly Record<string, unknown>[],
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  color: { field: string; title: string; scale: Record<string, unknown> },
  darkWhen: string,
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: { step: 110 },
    height: { step: 26 },
    config: {
      ...FONT,
      axis: { labelFont: FONT.font },
      legend: { titleFont: FONT.font, labelFont: FONT.font },
    },
    data: { values: [...values] },
    layer: [
      {
        mark: { type: "rect" },
        encoding: { x, y, color: { ...color, type: "quantitative" } },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          x,
          y,
          text: { field: "label" },
          color: { condition: { test: darkWhen, value: "white" }, value: "black" },
        },
      },
    ],
  } as TopLevelSpec;
}

function overviewChart(doc: ResultDocument): TopLevelSpec | undefined {
  const values: { workload: string; strategy: string; change: number; label: string }[] = [];
  for (const [workload, cells] of byWorkload(doc)) {
    const base = baselineCell(doc, cells);
    const baseMean = base?.summary[PRIMARY_METRIC]?.mean;
    if (baseMean === null || baseMean === undefined || baseMean === 0) continue;
    for (const cell of cells) {
      const mean = cell.summary[PRIMARY_METRIC]?.mean;
      if (cell === base || mean === null || mean === undefined) continue;
      const change = ((mean - baseMean) / baseMean) * 100;
      values.push({
        workload,
        strategy: cell.strategy,
        change,
        label: `${change >= 0 ? "+" : ""}${change.toFixed(0)}%`,
      });
    }
  }
  if (values.length === 0) return undefined;
  const strongest = Math.max(...values.map((v) => Math.abs(v.change)));
  const x = {
    field: "strategy",
    type: "nominal" as const,
    sort: null,
    title: null,
    axis: { labelAngle: 0 },
  };
  const y = { field: "workload", type: "nominal" as const, sort: null, title: null };
  return heatMap(
    values,
    x,
    y,
    { field: "change", title: "change (%)", scale: { scheme: "orangered" } },
    `abs(datum.change) > ${strongest * 0.6}`,
  );
}

/** Ledger categories, for the cost breakdown (cost.cycles.<category>). */
const CATEGORY_PREFIX = "cost.cycles.";
const STRAY_CLASSES = [
  "wild-direct",
  "window-same-cpu",
  "use-after-unmap",
  "overflow",
  "cross-cpu-stale",
  "stray-read",
] as const;

function meanOf(cell: ResultDocument["results"][number], metric: string): number {
  const mean = cell.summary[metric]?.mean;
  return mean === null || mean === undefined ? 0 : mean;
}

/**
 * Stacked cycles per operation by ledger category, one bar per strategy: where each
 * design's cost goes (PKRS writes, flushes, IPIs, walks...).
 */
function costBreakdownChart(doc: ResultDocument, workload: string): TopLevelSpec | undefined {
  const values: { strategy: string; category: string; cycles: number }[] = [];
  const cells = doc.results.filter((cell) => cell.workload === workload && cell.runs.length > 0);
  for (const cell of cells) {
    const operations = meanOf(cell, "run.operations");
    if (operations <= 0) continue;
    for (const metric of Object.keys(cell.summary).sort()) {
      if (!metric.startsWith(CATEGORY_PREFIX)) continue;
      const cycles = meanOf(cell, metric) / operations;
      if (cycles > 0) {
        values.push({
          strategy: cell.strategy,
          category: metric.slice(CATEGORY_PREFIX.length),
          cycles,
        });
      }
    }
  }
  if (values.length === 0) return undefined;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: 520,
    height: { step: 22 },
    config: {
      ...FONT,
      axis: { labelFont: FONT.font, titleFont: FONT.font },
      legend: { titleFont: FONT.font, labelFont: FONT.font },
    },
    data: { values },
    mark: { type: "bar" },
    encoding: {
      y: { field: "strategy", type: "nominal", sort: null, title: null },
      x: {
        field: "cycles",
        type: "quantitative",
        stack: "zero",
        title: "cycles/op by cost category",
      },
      color: {
        field: "category",
        type: "nominal",
        title: "category",
        scale: { scheme: "tableau20" },
      },
      order: { field: "category", type: "ordinal" },
    },
  };
}

/**
 * Share of injected stray accesses blocked, per strategy and stray class, over all
 * workloads of the report: which stray each design stops.
 */
function coverageHeatmap(doc: ResultDocument): TopLevelSpec | undefined {
  const values: { strategy: string; stray: string; blocked: number; label: string }[] = [];
  const strategies = [...new Set(doc.results.map((cell) => cell.strategy))];
  for (const strategy of strategies) {
    const cells = doc.results.filter((cell) => cell.strategy === strategy && cell.runs.length > 0);
    for (const stray of STRAY_CLASSES) {
      let injected = 0;
      let blocked = 0;
      for (const cell of cells) {
        injected += meanOf(cell, `coverage.${stray}.injected`);
        blocked += meanOf(cell, `coverage.${stray}.blocked`);
      }
      if (injected <= 0) continue;
      const share = blocked / injected;
      values.push({ strategy, stray, blocked: share, label: `${Math.round(share * 100)}%` });
    }
  }
  if (values.length === 0) return undefined;
  const x = {
    field: "stray",
    type: "nominal" as const,
    sort: [...STRAY_CLASSES],
    title: null,
    axis: { labelAngle: 0 },
  };
  const y = { field: "strategy", type: "nominal" as const, sort: strategies, title: null };
  return heatMap(
    values,
    x,
    y,
    { field: "blocked", title: "blocked", scale: { scheme: "greens", domain: [0, 1] } },
    "datum.blocked > 0.6",
  );
}

/** Every chart of a comparison report, named, in page order (also used for PNG export). */
export function comparisonCharts(
  doc: ResultDocument,
): { name: string; title: string; spec: TopLevelSpec }[] {
  const charts: { name: string; title: string; spec: TopLevelSpec }[] = [];
  const overview = overviewChart(doc);
  if (overview) {
    charts.push({
      name: "overview",
      title: `Overview: change in cycles/op against ${doc.context.config.baseline}`,
      spec: overview,
    });
  }
  const coverage = coverageHeatmap(doc);
  if (coverage) {
    charts.push({
      name: "coverage",
      title: "Coverage: share of injected stray accesses blocked, all workloads",
      spec: coverage,
    });
  }
  for (const workload of byWorkload(doc).keys()) {
    const chart = workloadChart(doc, workload);
    if (chart)
      charts.push({ name: `${workload}-cycles`, title: `${workload}: cycles/op`, spec: chart });
    const breakdown = costBreakdownChart(doc, workload);
    if (breakdown) {
      charts.push({
        name: `${workload}-breakdown`,
        title: `${workload}: cost breakdown`,
        spec: breakdown,
      });
    }
  }
  return charts;
}

function tableHtml(doc: ResultDocument, workload: string, options?: RenderOptions): string {
  const others = extraMetrics(options);
  const cells = doc.results.filter((cell) => cell.workload === workload);
  const base = baselineCell(doc, cells);
  const head = [
    "strategy",
    "cycles/op (mean ± 95% CI)",
    "vs base [95% CI]",
    ...others.map((m) => m.long),
  ];
  const rows = cells.map((cell) => {
    if (cell.runs.length === 0) return [strategyLabel(cell), "-", "-", ...others.map(() => "-")];
    const d =
      cell === base
        ? { text: "base", significant: false }
        : delta(
            base?.summary[PRIMARY_METRIC],
            cell.summary[PRIMARY_METRIC],
            unitOf(doc, PRIMARY_METRIC),
          );
    return [
      strategyLabel(cell),
      formatWithCi(cell.summary[PRIMARY_METRIC]),
      `${d.text}${d.significant ? "*" : ""}${cell === base ? "" : ` ${deltaCi(base?.summary[PRIMARY_METRIC], cell.summary[PRIMARY_METRIC], unitOf(doc, PRIMARY_METRIC))}`}`.trimEnd(),
      ...others.map((m) => formatNumber(cell.summary[m.metric]?.mean)),
    ];
  });
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((v, i) => `<td${i > 0 ? ' class="num"' : ""}>${escapeHtml(v)}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export const HTML_STYLE = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}
.disclaimer{border-left:4px solid #e0a000;padding:.3em .8em;background:#fff8e1}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}
figure{margin:.5em 0}.notes{color:#844}`;

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
  const [identity, setup, disclaimer] = headerLines(doc);
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
  const overview = overviewChart(doc);
  if (overview) {
    parts.push(
      `<h2>Overview: change in cycles/op against ${escapeHtml(doc.context.config.baseline)}</h2>`,
      `<figure>${await specToSvg(overview, "overview")}</figure>`,
    );
  }
  const coverage = coverageHeatmap(doc);
  if (coverage) {
    parts.push(
      "<h2>Coverage: share of injected stray accesses blocked, all workloads</h2>",
      `<figure>${await specToSvg(coverage, "coverage")}</figure>`,
    );
  }
  let index = 0;
  for (const workload of byWorkload(doc).keys()) {
    parts.push(`<h2>${escapeHtml(workload)}</h2>`);
    const chart = workloadChart(doc, workload);
    if (chart) parts.push(`<figure>${await specToSvg(chart, `workload${index}`)}</figure>`);
    const breakdown = costBreakdownChart(doc, workload);
    if (breakdown) {
      parts.push(`<figure>${await specToSvg(breakdown, `breakdown${index}`)}</figure>`);
    }
    index++;
    parts.push(tableHtml(doc, workload, options));
    const notes = statusNotes(doc.results.filter((cell) => cell.workload === workload));
    if (notes.length > 0) {
      parts.push(
        `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`,
      );
    }
  }
  const overall = overallRows(doc);
  if (byWorkload(doc).size > 1 && overall.length > 0) {
    parts.push(
      `<h2>${escapeHtml(overallTitle(doc).replace(/^overall: /, "Overall: "))}</h2>`,
      "<table>",
      "<thead><tr><th>strategy</th><th>cycles/op vs base</th><th>workloads</th></tr></thead>",
      "<tbody>",
      ...overall.map(
        (entry) =>
          `<tr><td>${escapeHtml(entry.strategy)}</td><td class="num">${escapeHtml(entry.change)}</td><td class="num">${entry.workloads}</td></tr>`,
      ),
      "</tbody>",
      "</table>",
    );
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
    `<ul>${[...legendLines(doc, true, options), DIFFERENCE_LEGEND]
      .map((line) => `<li>${escapeHtml(line)}</li>`)
      .join("")}</ul>`,
    `<p>${versionLines(doc, 10_000).map(escapeHtml).join("<br>")}</p>`,
    profileHtml(doc),
    "<p>Reproduce:</p>",
    `<pre>${escapeHtml(doc.context.reproduce)}</pre>`,
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
