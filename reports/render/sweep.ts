/**
 * The sweep report: one metric, per workload a row per swept value and a column per
 * strategy, each cell the seed mean with its 95% CI and the change against the baseline.
 */
import { getBorderCharacters, table } from "table";
import type { ResultDocument } from "../results.ts";
import { seedLabel } from "../results.ts";
import { ciHalf, delta, formatNumber, wrapWords } from "./common.ts";
import { csvField } from "./csv.ts";

/** Formats `pkslab sweep` can print. */
export const SWEEP_FORMATS = ["table", "markdown", "csv"] as const;

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

/** Renders a sweep in one of {@link SWEEP_FORMATS}. */
export function renderSweep(report: SweepReport): string {
  const first = report.points[0]?.doc;
  if (!first) return "empty sweep\n";
  const strategies = first.context.config.strategies.map((s) => s.name);
  const workloads = first.context.config.workloads.map((w) => w.name);
  const { context } = first;
  const unit = first.metricCatalog[report.metric]?.unit ?? "";
  const hashes = report.points.map((p) => `${p.value}:${p.doc.context.configHash}`).join(" ");
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
    `profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)} (${context.config.seeds.length})  cpus ${context.config.machine.cpus}  baseline ${context.config.baseline}`,
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
