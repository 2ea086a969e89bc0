/**
 * The sweep report: one metric, per workload a row per swept value and a column per
 * strategy, each cell the seed mean with its 95% CI and the change against the baseline.
 */
import { getBorderCharacters, table } from "table";
import type { TopLevelSpec } from "vega-lite";
import type { ResultDocument } from "../results.ts";
import { seedLabel } from "../results.ts";
import { ciHalf, delta, formatNumber, wrapWords } from "./common.ts";
import { csvField } from "./csv.ts";
import { escapeHtml, HTML_STYLE, specToSvg } from "./html.ts";

/** Formats `pkslab sweep` can print. */
export const SWEEP_FORMATS = ["table", "markdown", "csv", "html"] as const;

/** One value of the swept parameter and its result document. */
export interface SweepPoint {
  readonly value: string;
  readonly doc: ResultDocument;
}

/** Inputs of {@link renderSweep}. */
export interface SweepReport {
  readonly parameter: string;
  readonly metric: string;
  readonly points: readonly SweepPoint[];
  readonly format: (typeof SWEEP_FORMATS)[number];
}

function cellText(doc: ResultDocument, workload: string, strategy: string, metric: string): string {
  const cell = doc.results.find((c) => c.workload === workload && c.strategy === strategy);
  const summary = cell?.summary[metric];
  if (!cell || !summary) return cell ? cell.status : "-";
  const half = ciHalf(summary);
  let text =
    formatNumber(summary.mean) +
    (half === null ? "" : ` ±${formatNumber(Number(half.toPrecision(2)))}`);
  const baseline = doc.context.config.baseline;
  if (strategy !== baseline) {
    const base = doc.results.find((c) => c.workload === workload && c.strategy === baseline);
    const d = delta(base?.summary[metric], summary, doc.metricCatalog[metric]?.unit ?? "");
    if (d.text !== "n/a") text += ` (${d.text}${d.significant ? "*" : ""})`;
  }
  return cell.status === "ok" ? text : `${text} [${cell.status}]`;
}

/** A line chart of the metric against the swept value, one line (with its CI band) per strategy. */
function sweepChart(report: SweepReport, workload: string): TopLevelSpec | undefined {
  const values: { value: number; strategy: string; mean: number; low: number; high: number }[] = [];
  for (const point of report.points) {
    const x = Number(point.value);
    if (!Number.isFinite(x)) return undefined;
    for (const cell of point.doc.results) {
      const s = cell.workload === workload ? cell.summary[report.metric] : undefined;
      if (!s || s.mean === null) continue;
      values.push({
        value: x,
        strategy: cell.strategy,
        mean: s.mean,
        low: s.ciLow ?? s.mean,
        high: s.ciHigh ?? s.mean,
      });
    }
  }
  if (values.length === 0) return undefined;
  const xs = values.map((v) => v.value);
  const positive = xs.every((x) => x > 0);
  const span = positive ? Math.max(...xs) / Math.min(...xs) : 0;
  const x = {
    field: "value",
    type: "quantitative" as const,
    title: report.parameter,
    scale: positive && span >= 16 ? { type: "log" as const } : { zero: false },
  };
  const color = { field: "strategy", type: "nominal" as const, sort: null };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: 560,
    height: 260,
    config: { font: "system-ui, sans-serif" },
    data: { values },
    layer: [
      {
        mark: { type: "area", opacity: 0.2 },
        encoding: { x, y: { field: "low", type: "quantitative" }, y2: { field: "high" }, color },
      },
      {
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "mean", type: "quantitative", title: `${report.metric} (mean, 95% CI)` },
          color,
        },
      },
    ],
  };
}

async function renderSweepHtml(report: SweepReport, first: ResultDocument): Promise<string> {
  const { context } = first;
  const strategies = context.config.strategies.map((s) => s.name);
  const parts = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>pkslab sweep of ${escapeHtml(report.parameter)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    "</head>",
    "<body>",
    `<h1>pkslab sweep of <code>${escapeHtml(report.parameter)}</code></h1>`,
    `<p>${escapeHtml(`${context.tool.name} ${context.tool.version}  metric ${report.metric}  profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)}  cpus ${report.parameter === "cpus" ? "swept" : context.config.machine.cpus}  baseline ${context.config.baseline}`)}</p>`,
    `<p class="disclaimer">${escapeHtml(context.disclaimer)}</p>`,
  ];
  let index = 0;
  for (const workload of context.config.workloads.map((w) => w.name)) {
    parts.push(`<h2>${escapeHtml(workload)}</h2>`);
    const chart = sweepChart(report, workload);
    if (chart) parts.push(`<figure>${await specToSvg(chart, `sweep${index}`)}</figure>`);
    index++;
    const head = [report.parameter, ...strategies].map((h) => `<th>${escapeHtml(h)}</th>`).join("");
    const rows = report.points.map(
      (point) =>
        `<tr><td class="num">${escapeHtml(point.value)}</td>${strategies
          .map(
            (s) =>
              `<td class="num">${escapeHtml(cellText(point.doc, workload, s, report.metric))}</td>`,
          )
          .join("")}</tr>`,
    );
    parts.push(
      `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`,
    );
  }
  const hashes = report.points.map((p) => `${p.value}:${p.doc.context.configHash}`).join(" ");
  parts.push(
    "<ul>",
    "<li>cells: seed mean ±95% CI half width (change vs baseline; * = the 95% CIs do not overlap)</li>",
    `<li>config hashes per value: ${escapeHtml(hashes)}</li>`,
    "</ul>",
    "</body>",
    "</html>",
    "",
  );
  return parts.join("\n");
}

/** Renders a sweep in one of {@link SWEEP_FORMATS}. */
export async function renderSweep(report: SweepReport): Promise<string> {
  const first = report.points[0]?.doc;
  if (!first) return "empty sweep\n";
  const strategies = first.context.config.strategies.map((s) => s.name);
  const workloads = first.context.config.workloads.map((w) => w.name);
  const { context } = first;
  const unit = first.metricCatalog[report.metric]?.unit ?? "";
  const hashes = report.points.map((p) => `${p.value}:${p.doc.context.configHash}`).join(" ");
  if (report.format === "html") return renderSweepHtml(report, first);
  if (report.format === "csv") {
    const lines = [
      `# ${context.tool.name} ${context.tool.version}  sweep ${report.parameter}  profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)}`,
      `# config hashes ${hashes}`,
      `# ${context.disclaimer}`,
      "parameter,value,workload,strategy,seed,metric,value_of_metric",
    ];
    for (const point of report.points) {
      for (const cell of point.doc.results) {
        for (const run of cell.runs) {
          const v = run.metrics[report.metric];
          if (v === undefined) continue;
          lines.push(
            [
              report.parameter,
              point.value,
              cell.workload,
              cell.strategy,
              run.seed,
              report.metric,
              v,
            ]
              .map(csvField)
              .join(","),
          );
        }
      }
    }
    return `${lines.join("\n")}\n`;
  }
  const header = [
    `${context.tool.name} ${context.tool.version}  sweep ${report.parameter}  metric ${report.metric} (${unit})`,
    `profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)} (${context.config.seeds.length})  cpus ${report.parameter === "cpus" ? "swept" : context.config.machine.cpus}  baseline ${context.config.baseline}`,
    context.disclaimer,
  ];
  const legend = [
    "cells: seed mean ±95% CI half width (change vs baseline; * = the 95% CIs do not overlap)",
    `config hashes per value: ${hashes}`,
  ];
  const out: string[] = [];
  if (report.format === "markdown") {
    out.push(
      `# pkslab sweep of \`${report.parameter}\``,
      "",
      `${header[0]}  `,
      header[1],
      "",
      `> ${header[2]}`,
    );
    for (const workload of workloads) {
      out.push("", `## ${workload}`, "");
      out.push(`| ${report.parameter} | ${strategies.map((s) => `\`${s}\``).join(" | ")} |`);
      out.push(`| ---: | ${strategies.map(() => "---:").join(" | ")} |`);
      for (const point of report.points) {
        const cells = strategies.map((s) =>
          cellText(point.doc, workload, s, report.metric).replaceAll("*", "\\*"),
        );
        out.push(`| ${point.value} | ${cells.join(" | ")} |`);
      }
    }
    out.push("", ...legend.map((line) => `- ${line.replaceAll("*", "\\*")}`), "");
    return out.join("\n");
  }
  out.push(...header);
  for (const workload of workloads) {
    const rows = [[report.parameter, ...strategies]];
    for (const point of report.points) {
      rows.push([
        point.value,
        ...strategies.map((s) => cellText(point.doc, workload, s, report.metric)),
      ]);
    }
    out.push("", `workload ${workload}`);
    out.push(
      table(rows, {
        border: getBorderCharacters("norc"),
        columnDefault: { alignment: "right" },
        drawHorizontalLine: (index, size) => index <= 1 || index === size,
      }).trimEnd(),
    );
  }
  out.push("", ...legend.flatMap((line) => wrapWords(line, 120, "  ")));
  return `${out.join("\n")}\n`;
}
