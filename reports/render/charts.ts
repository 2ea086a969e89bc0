/**
 * The comparison report's charts as Vega-Lite specs (per-workload cost bars, the overview
 * of every workload, the cost breakdown by category, the coverage heat map), built from
 * the one report model, and their SVG rendering; the HTML report embeds them, and
 * `--format png` writes them as files.
 *
 * Over 400 lines: four chart specs, each mostly declarative Vega-Lite encoding over the
 * same report model; apart they would each repeat its imports and shared styling.
 */
import type { TopLevelSpec } from "vega-lite";
import { STRAY_CLASSES } from "../../core/contract/workload.ts";
import type { ResultDocument } from "../results/results.ts";
import { byWorkload, hasNumbers, PRIMARY_METRIC } from "./common.ts";
import { reportModel } from "./model.ts";

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
  // Only cells that did their work have a number to draw.
  const cells = doc.results.filter(
    (cell) =>
      cell.workload === workload &&
      cell.summary[PRIMARY_METRIC] &&
      (cell.status === "ok" || cell.status === "partial"),
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
          color: { field: "strategy", type: "nominal", scale: strategyColours(doc), legend: null },
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
 * The frame of a chart laid out on a grid of rows 26 px high and `columnWidth` px wide
 * columns, in the report's font.
 */
function gridChart(columnWidth: number) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: { step: columnWidth },
    height: { step: 26 },
    config: {
      ...FONT,
      axis: { labelFont: FONT.font },
      legend: { titleFont: FONT.font, labelFont: FONT.font },
    },
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
    ...gridChart(110),
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

/** One colour per strategy, in the report's order, the same in every chart. */
export function strategyColours(doc: ResultDocument): { domain: string[]; range: string[] } {
  const palette = [
    "#9e9e9e",
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#b279a2",
    "#eeca3b",
    "#ff9da6",
    "#9d755d",
  ];
  const domain = doc.context.config.strategies.map((s) => s.name);
  return { domain, range: domain.map((_, i) => palette[i % palette.length]) };
}

/**
 * The change in cycles/op of every candidate on every workload, coloured on a log scale of
 * the ratio (so +20% and +50,000% are both readable) diverging at no change. Cells with no
 * number (unsupported, failed, no paired change) are grey with their status; partial ones
 * are marked with "!" and hatched by a lighter opacity.
 */
function overviewChart(doc: ResultDocument): TopLevelSpec | undefined {
  const model = reportModel(doc);
  const values: Record<string, unknown>[] = [];
  for (const section of model.sections) {
    for (const row of section.rows) {
      if (row.isBaseline) continue;
      const has = row.changeValue !== undefined && row.changeValue > -1;
      values.push({
        workload: section.workload,
        strategy: row.strategy,
        ratio: has ? 1 + (row.changeValue as number) : null,
        status: row.status,
        label: has
          ? `${row.change}${row.status === "partial" ? " !" : row.star ? "*" : ""}`
          : row.status,
        opacity: row.status === "ok" ? 1 : 0.45,
      });
    }
  }
  if (values.length === 0) return undefined;
  // Explicit orders: the layers see different subsets, so "data order" would differ.
  const x = {
    field: "strategy",
    type: "nominal" as const,
    sort: [...new Set(values.map((v) => v.strategy as string))],
    title: null,
    axis: { labelAngle: 0 },
  };
  const y = {
    field: "workload",
    type: "nominal" as const,
    sort: model.sections.map((section) => section.workload),
    title: null,
  };
  return {
    ...gridChart(120),
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.ratio === null" }],
        mark: { type: "rect", fill: "#dddddd", stroke: "#bbbbbb", strokeDash: [3, 2] },
        encoding: { x, y },
      },
      {
        transform: [{ filter: "datum.ratio !== null" }],
        mark: { type: "rect" },
        encoding: {
          x,
          y,
          color: {
            field: "ratio",
            type: "quantitative",
            title: "ratio (log)",
            scale: { type: "log", scheme: "blueorange", domainMid: 1 },
          },
          opacity: { field: "opacity", type: "quantitative", scale: null, legend: null },
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: { x, y, text: { field: "label" }, color: { value: "black" } },
      },
    ],
  } as TopLevelSpec;
}

/** Ledger categories, for the cost breakdown (cost.cycles.<category>). */
const CATEGORY_PREFIX = "cost.cycles.";

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
  const cells = doc.results.filter((cell) => cell.workload === workload && hasNumbers(cell));
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
 * Share of injected stray accesses blocked (or caught: faulted, even if a relaxed mode then
 * let them through), per strategy and stray class, over the workloads where the strategy
 * did its work (ok and partial cells): which stray each design stops or detects.
 */
function coverageHeatmap(
  doc: ResultDocument,
  measure: "blocked" | "caught",
): TopLevelSpec | undefined {
  const values: { strategy: string; stray: string; share: number; label: string }[] = [];
  const strategies = [...new Set(doc.results.map((cell) => cell.strategy))];
  for (const strategy of strategies) {
    const cells = doc.results.filter((cell) => cell.strategy === strategy && hasNumbers(cell));
    for (const stray of STRAY_CLASSES) {
      let injected = 0;
      let counted = 0;
      for (const cell of cells) {
        injected += meanOf(cell, `coverage.${stray}.injected`);
        counted += meanOf(
          cell,
          `coverage.${stray}.${measure === "blocked" ? "blocked" : "faulted"}`,
        );
      }
      if (injected <= 0) continue;
      const share = Math.min(1, counted / injected);
      values.push({ strategy, stray, share, label: `${Math.round(share * 100)}%` });
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
    {
      field: "share",
      title: measure,
      scale: { scheme: measure === "blocked" ? "greens" : "purples", domain: [0, 1] },
    },
    "datum.share > 0.6",
  );
}

/** A chart of the report: its file name (PNG export), title and spec. */
export interface NamedChart {
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
  /** The workload it belongs to (undefined: the report-wide charts at the top). */
  readonly workload?: string;
}

/** Every chart of a comparison report, named, in page order (also used for PNG export). */
export function comparisonCharts(doc: ResultDocument): NamedChart[] {
  const charts: NamedChart[] = [];
  const overview = overviewChart(doc);
  if (overview) {
    charts.push({
      name: "overview",
      title: `Overview: change in cycles/op against ${doc.context.config.baseline} (paired, log colour scale; grey: no number)`,
      spec: overview,
    });
  }
  for (const measure of ["blocked", "caught"] as const) {
    const coverage = coverageHeatmap(doc, measure);
    if (coverage) {
      charts.push({
        name: measure === "blocked" ? "coverage" : "coverage-caught",
        title: `Coverage: share of injected stray accesses ${measure === "blocked" ? "blocked" : "caught (faulted, blocked or not)"}, workloads each strategy served`,
        spec: coverage,
      });
    }
  }
  for (const workload of byWorkload(doc).keys()) {
    const chart = workloadChart(doc, workload);
    if (chart) {
      charts.push({
        name: `${workload}-cycles`,
        title: `${workload}: cycles/op`,
        spec: chart,
        workload,
      });
    }
    const breakdown = costBreakdownChart(doc, workload);
    if (breakdown) {
      charts.push({
        name: `${workload}-breakdown`,
        title: `${workload}: steady-state cost breakdown`,
        spec: breakdown,
        workload,
      });
    }
  }
  return charts;
}
