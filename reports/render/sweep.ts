/**
 * The sweep report: for each workload and chosen metric, a row per point of the sweep (one
 * or two swept parameters) and a column per strategy, each cell the seed mean with its 95%
 * CI and the change against the baseline; charts of each metric against the first swept
 * parameter, one small multiple per value of the second.
 */
import { getBorderCharacters, table } from "table";
import type { ResultDocument } from "../results/results.ts";
import { seedLabel } from "../results/results.ts";
import { pairedChangeOf } from "../results/verdict.ts";
import { specToSvg } from "./charts.ts";
import { delta, formatNumber, versionLines, wrapWords } from "./common.ts";
import { csvField } from "./csv.ts";
import { EMAIL_WIDTH, toAscii } from "./email.ts";
import { escapeHtml, HTML_STYLE } from "./html.ts";
import { sweepChart } from "./sweep-charts.ts";
import {
  cpusLabel,
  fitColumns,
  hashesLabel,
  parameterKey,
  parametersLabel,
  SWEEP_FORMATS,
  SWEEP_STAR,
  type SweepData,
  type SweepReport,
  sweepContext,
  tableRows,
  unitOf,
} from "./sweep-common.ts";
import { WIDTH } from "./table.ts";

async function renderSweepHtml(data: SweepData, first: ResultDocument): Promise<string> {
  const { context } = first;
  const strategies = context.config.strategies.map((s) => s.name);
  const title = `pkslab sweep of ${parametersLabel(data)}`;
  const parts = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    "</head>",
    "<body>",
    `<h1>pkslab sweep of ${data.parameters.map((p) => `<code>${escapeHtml(p)}</code>`).join(" x ")}</h1>`,
    `<p>${escapeHtml(`${context.tool.name} ${context.tool.version}  metrics ${data.metrics.join(", ")}  profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)}  cpus ${cpusLabel(data, first)}  baseline ${context.config.baseline}  points ${data.points.length}`)}</p>`,
    ...sweepContext(data, "html", "html", "head"),
  ];
  let index = 0;
  for (const workload of context.config.workloads.map((w) => w.name)) {
    parts.push(`<h2>${escapeHtml(workload)}</h2>`);
    for (const metric of data.metrics) {
      parts.push(`<h3>${escapeHtml(`${metric} (${unitOf(first, metric)})`)}</h3>`);
      const chart = sweepChart(data, workload, metric);
      if (chart) parts.push(`<figure>${await specToSvg(chart, `sweep${index}`)}</figure>`);
      index++;
      const head = [...data.parameters, ...strategies]
        .map((h) => `<th>${escapeHtml(h)}</th>`)
        .join("");
      const rows = tableRows(data, strategies, workload, metric).map(
        (row) =>
          `<tr>${row.map((text) => `<td class="num">${escapeHtml(text)}</td>`).join("")}</tr>`,
      );
      parts.push(
        `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`,
      );
    }
  }
  parts.push(
    "<ul>",
    `<li>cells: seed mean ±95% CI half width (change vs baseline; * = ${SWEEP_STAR}); [partial] = some work refused, unsupported/failed = no number</li>`,
    `<li>config hashes per point: ${escapeHtml(hashesLabel(data))}</li>`,
    "</ul>",
    ...sweepContext(data, "html", "html", "reproduce"),
    "</body>",
    "</html>",
    "",
  );
  return parts.join("\n");
}

function renderSweepCsv(data: SweepData, first: ResultDocument): string {
  const { context } = first;
  const parameterColumns = data.parameters.flatMap((_, index) =>
    index === 0 ? ["parameter", "value"] : [`parameter${index + 1}`, `value${index + 1}`],
  );
  const lines = [
    `# ${context.tool.name} ${context.tool.version}  sweep ${parametersLabel(data)}  profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)}`,
    `# config hashes ${hashesLabel(data)}`,
    ...sweepContext(data, "csv", "csv", "head"),
    ...sweepContext(data, "csv", "csv", "reproduce"),
    [...parameterColumns, "workload", "strategy", "seed", "metric", "value_of_metric"].join(","),
  ];
  for (const point of data.points) {
    const lead = data.parameters.flatMap((parameter, index) => [parameter, point.values[index]]);
    for (const cell of point.doc.results) {
      for (const run of cell.runs) {
        for (const metric of data.metrics) {
          const v = run.metrics[metric];
          if (v === undefined) continue;
          lines.push(
            [...lead, cell.workload, cell.strategy, run.seed, metric, v].map(csvField).join(","),
          );
        }
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The email report of a sweep: plain ASCII within {@link EMAIL_WIDTH} columns, per workload
 * and metric a block with the swept values, the baseline's seed mean and each candidate's
 * change against it (lettered columns, named in the legend; more candidates than fit go to
 * a second block), a legend, and the command that reruns the sweep.
 */
function renderSweepEmail(data: SweepData, first: ResultDocument): string {
  const { context } = first;
  const baseline = context.config.baseline;
  const candidates = context.config.strategies
    .map((strategy) => strategy.name)
    .filter((name) => name !== baseline);
  // A to Z, then A1, B1, ... for the (rare) comparison of more than 26 candidates.
  const letters = candidates.map(
    (_, index) =>
      String.fromCharCode(65 + (index % 26)) + (index < 26 ? "" : Math.floor(index / 26)),
  );
  const keys = data.parameters.map(parameterKey);
  const out: string[] = [
    ...wrapWords(
      `${context.tool.name} ${context.tool.version}  sweep ${parametersLabel(data)}`,
      EMAIL_WIDTH,
    ),
    ...wrapWords(
      `profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)} (${context.config.seeds.length})  cpus ${cpusLabel(data, first)}  baseline ${baseline}  points ${data.points.length}`,
      EMAIL_WIDTH,
    ),
    ...sweepContext(data, "email", "email", "head"),
  ];
  for (const workload of context.config.workloads.map((w) => w.name)) {
    for (const metric of data.metrics) {
      const spec = first.metricCatalog[metric];
      const direction =
        spec?.direction === "none" ? "" : `, ${spec?.direction ?? "lower"} is better`;
      out.push(
        "",
        ...wrapWords(`${workload}: ${metric} (${unitOf(first, metric)}${direction})`, EMAIL_WIDTH),
      );
      const rows = data.points.map((point) => {
        const cell = (name: string) =>
          point.doc.results.find((c) => c.workload === workload && c.strategy === name);
        const base = cell(baseline);
        const baseSummary = base?.summary[metric];
        const changes = candidates.map((name) => {
          const candidate = cell(name);
          if (!candidate) return "failed";
          // No numbers for work not done; a partial cell's change carries "!".
          if (candidate.status === "failed" || candidate.status === "unsupported") {
            return candidate.status === "failed" ? "failed" : "unsupp";
          }
          const mark = candidate.status === "partial" ? "!" : "";
          const d = delta(baseSummary, candidate.summary[metric], unitOf(first, metric));
          // No change to show (a zero baseline, say): the candidate's own mean.
          if (d.text === "n/a") return `${formatNumber(candidate.summary[metric]?.mean)}${mark}`;
          const star = base && pairedChangeOf(base, candidate, metric)?.significant ? "*" : "";
          return `${d.text}${star}${mark}`;
        });
        return [
          ...point.values,
          base && base.status !== "failed" ? formatNumber(baseSummary?.mean) : "failed",
          ...changes,
        ];
      });
      // As many candidate columns per block as fit the width.
      const fixed = keys.length + 1;
      const widthOf = (column: number, header: string) =>
        Math.max(header.length, ...rows.map((row) => row[column].length));
      const fixedWidth = [...keys, "base"].reduce(
        (sum, header, column) => sum + widthOf(column, header) + 2,
        0,
      );
      let start = 0;
      while (start < candidates.length || (start === 0 && candidates.length === 0)) {
        let end = start;
        let width = fixedWidth;
        while (end < candidates.length) {
          const next = widthOf(fixed + end, letters[end]) + 2;
          if (width + next > EMAIL_WIDTH && end > start) break;
          width += next;
          end++;
        }
        const columns = [
          ...Array(fixed).keys(),
          ...Array.from({ length: end - start }, (_, i) => fixed + start + i),
        ];
        const headers = [...keys, "base", ...letters.slice(start, end)];
        const line = (cells: readonly string[]) =>
          `  ${cells.map((text, i) => text.padStart(widthOf(columns[i], headers[i]))).join("  ")}`.trimEnd();
        out.push(line(headers));
        for (const row of rows) out.push(line(columns.map((column) => row[column])));
        if (end === start) break;
        start = end;
        if (start < candidates.length) out.push("");
      }
    }
  }
  out.push("");
  for (const [index, parameter] of data.parameters.entries()) {
    if (keys[index] !== parameter)
      out.push(...wrapWords(`${keys[index]} = ${parameter}`, EMAIL_WIDTH));
  }
  out.push(
    ...wrapWords(`base = ${baseline}, seed mean`, EMAIL_WIDTH),
    ...wrapWords(
      `${candidates.map((name, index) => `${letters[index]} = ${name}`).join(", ")}: change against base (* = ${SWEEP_STAR}; ! = partial cell; unsupp/failed = no number), or the seed mean where there is no change to give (base 0)`,
      EMAIL_WIDTH,
    ),
    ...wrapWords(`config hashes per point: ${hashesLabel(data)}`, EMAIL_WIDTH),
    // The commit is in the context block, with its -dirty mark.
    ...versionLines(first, EMAIL_WIDTH).filter((line) => !line.startsWith("pkslab commit")),
    ...sweepContext(data, "email", "email", "reproduce"),
  );
  return `${out.map((line) => toAscii(line).trimEnd()).join("\n")}\n`;
}

/** Renders a sweep in one of {@link SWEEP_FORMATS}. */
export async function renderSweep(report: SweepReport): Promise<string> {
  const first = report.points[0]?.doc;
  if (!first) return "empty sweep\n";
  if (report.format === "html") return renderSweepHtml(report, first);
  if (report.format === "csv") return renderSweepCsv(report, first);
  if (report.format === "email") return renderSweepEmail(report, first);
  const strategies = first.context.config.strategies.map((s) => s.name);
  const workloads = first.context.config.workloads.map((w) => w.name);
  const { context } = first;
  const metricsLabel = report.metrics.map((m) => `${m} (${unitOf(first, m)})`).join(", ");
  const header = [
    `${context.tool.name} ${context.tool.version}  sweep ${parametersLabel(report)}  ${report.metrics.length > 1 ? "metrics" : "metric"} ${metricsLabel}`,
    `profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)} (${context.config.seeds.length})  cpus ${cpusLabel(report, first)}  baseline ${context.config.baseline}  points ${report.points.length}`,
  ];
  const legend = [
    `cells: seed mean ±95% CI half width (change vs baseline; * = ${SWEEP_STAR}); [partial] = some work refused, unsupported/failed = no number`,
    `config hashes per point: ${hashesLabel(report)}`,
  ];
  const heading = (workload: string, metric: string) =>
    report.metrics.length > 1 ? `${workload}: ${metric} (${unitOf(first, metric)})` : workload;
  const out: string[] = [];
  if (report.format === "markdown") {
    out.push(
      `# pkslab sweep of ${report.parameters.map((p) => `\`${p}\``).join(" x ")}`,
      "",
      `${header[0]}  `,
      header[1],
      "",
      ...sweepContext(report, "markdown", "markdown", "head"),
    );
    for (const workload of workloads) {
      for (const metric of report.metrics) {
        out.push("", `## ${heading(workload, metric)}`, "");
        out.push(`| ${[...report.parameters, ...strategies.map((s) => `\`${s}\``)].join(" | ")} |`);
        out.push(`| ${[...report.parameters, ...strategies].map(() => "---:").join(" | ")} |`);
        for (const row of tableRows(report, strategies, workload, metric)) {
          out.push(`| ${row.map((text) => text.replaceAll("*", "\\*")).join(" | ")} |`);
        }
      }
    }
    out.push("", ...legend.map((line) => `- ${line.replaceAll("*", "\\*")}`), "");
    out.push(...sweepContext(report, "markdown", "markdown", "reproduce"), "");
    return out.join("\n");
  }
  out.push(...header, ...sweepContext(report, "table", "text", "head"));
  const twoParameters = report.parameters.length > 1;
  for (const workload of workloads) {
    for (const metric of report.metrics) {
      const rows = tableRows(report, strategies, workload, metric);
      // With two parameters, the first one's value starts each group of rows (a rule above it).
      const groupStarts = new Set<number>();
      if (twoParameters) {
        const firsts = report.points.map((point) => point.values[0]);
        rows.forEach((row, index) => {
          if (index === 0 || firsts[index] !== firsts[index - 1]) groupStarts.add(index + 1);
          else row[0] = "";
        });
      }
      out.push("", `workload ${heading(workload, metric)}`);
      out.push(
        table([[...report.parameters, ...strategies], ...rows], {
          border: getBorderCharacters("norc"),
          columnDefault: { alignment: "right" },
          columns: fitColumns(
            [[...report.parameters, ...strategies], ...rows],
            report.parameters.length,
          ),
          drawHorizontalLine: (index, size) =>
            index <= 1 || index === size || groupStarts.has(index),
        }).trimEnd(),
      );
    }
  }
  out.push("", ...legend.flatMap((line) => wrapWords(line, WIDTH, "  ")));
  out.push(...sweepContext(report, "table", "text", "reproduce"));
  return `${out.join("\n")}\n`;
}
