/**
 * The sweep report: for each workload and chosen metric, a row per point of the sweep (one
 * or two swept parameters) and a column per strategy, each cell the seed mean with its 95%
 * CI and the change against the baseline; charts of each metric against the first swept
 * parameter, one small multiple per value of the second.
 */
import { getBorderCharacters, table } from "table";
import type { TopLevelSpec } from "vega-lite";
import {
  type ContextStyle,
  type Provenance,
  provenance,
  renderContext,
} from "../results/provenance.ts";
import type { ResultDocument } from "../results/results.ts";
import { seedLabel } from "../results/results.ts";
import { PAIRED_METHOD } from "../results/stats.ts";
import { pairedChangeOf } from "../results/verdict.ts";
import { ciHalf, delta, formatNumber, versionLines, wrapWords } from "./common.ts";
import { csvField } from "./csv.ts";
import { EMAIL_WIDTH, toAscii } from "./email.ts";
import { escapeHtml, HTML_STYLE, specToSvg } from "./html.ts";
import { WIDTH } from "./table.ts";

/** Formats `pkslab sweep` can print (json and png are written by the command itself). */
export const SWEEP_FORMATS = ["table", "markdown", "email", "csv", "html"] as const;

/** One point of the sweep: a value of each swept parameter, and its result document. */
export interface SweepPoint {
  /** The point's value of each swept parameter, in parameter order. */
  readonly values: readonly string[];
  readonly doc: ResultDocument;
}

/** A whole sweep: its parameters (one or two), the reported metrics and every point. */
export interface SweepData {
  readonly parameters: readonly string[];
  readonly metrics: readonly string[];
  /** Every point of the grid, the first parameter outermost. */
  readonly points: readonly SweepPoint[];
}

/** Inputs of {@link renderSweep}. */
export interface SweepReport extends SweepData {
  readonly format: (typeof SWEEP_FORMATS)[number];
}

/** What a star in a sweep means. */
const SWEEP_STAR = `the paired 95% interval excludes 0 (${PAIRED_METHOD}, ok cells only)`;

/** A chart of a sweep, named for file names (PNG export) and titled for pages. */
export interface SweepChart {
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

function cellText(doc: ResultDocument, workload: string, strategy: string, metric: string): string {
  const cell = doc.results.find((c) => c.workload === workload && c.strategy === strategy);
  const summary = cell?.summary[metric];
  if (!cell || !summary) return cell ? cell.status : "-";
  // Cells that did not do their work get their status, no number.
  if (cell.status === "unsupported" || cell.status === "failed") return cell.status;
  const half = ciHalf(summary);
  let text =
    formatNumber(summary.mean) +
    (half === null ? "" : ` ±${formatNumber(Number(half.toPrecision(2)))}`);
  const baseline = doc.context.config.baseline;
  if (strategy !== baseline) {
    const base = doc.results.find((c) => c.workload === workload && c.strategy === baseline);
    const d = delta(base?.summary[metric], summary, doc.metricCatalog[metric]?.unit ?? "");
    const star = base && pairedChangeOf(base, cell, metric)?.significant ? "*" : "";
    if (d.text !== "n/a") text += ` (${d.text}${star})`;
  }
  return cell.status === "ok" ? text : `${text} [${cell.status}]`;
}

/** "cpus" or "cpus x pmem-dax.pages". */
function parametersLabel(data: SweepData): string {
  return data.parameters.join(" x ");
}

/** The machine's CPU count as the header states it. */
function cpusLabel(data: SweepData, first: ResultDocument): string {
  return data.parameters.includes("cpus") ? "swept" : String(first.context.config.machine.cpus);
}

function unitOf(first: ResultDocument, metric: string): string {
  return first.metricCatalog[metric]?.unit ?? "";
}

/** Config hash of each point, labelled by its values. */
function hashesLabel(data: SweepData): string {
  return data.points.map((p) => `${p.values.join(",")}:${p.doc.context.configHash}`).join(" ");
}

/**
 * The line chart of one metric of one workload against the first swept parameter: a line
 * (with its 95% CI band) per strategy; with a second parameter, one panel per value of it.
 * A numeric first parameter gets a numeric axis (logarithmic when all values are positive
 * and span a factor of 16 or more), anything else an ordered category axis.
 */
function sweepChart(data: SweepData, workload: string, metric: string): TopLevelSpec | undefined {
  const numeric = data.points.every((p) => Number.isFinite(Number(p.values[0])));
  const values: {
    value: number | string;
    panel: string;
    strategy: string;
    mean: number;
    low: number;
    high: number;
  }[] = [];
  for (const point of data.points) {
    for (const cell of point.doc.results) {
      const s = cell.workload === workload ? cell.summary[metric] : undefined;
      // Only cells that did their work (ok, partial) are drawn.
      if (!s || s.mean === null || cell.status === "unsupported" || cell.status === "failed")
        continue;
      values.push({
        value: numeric ? Number(point.values[0]) : point.values[0],
        panel: point.values[1] ?? "",
        strategy: cell.strategy,
        mean: s.mean,
        low: s.ciLow ?? s.mean,
        high: s.ciHigh ?? s.mean,
      });
    }
  }
  if (values.length === 0) return undefined;
  const xs = values.map((v) => Number(v.value));
  const positive = numeric && xs.every((x) => x > 0);
  const span = positive ? Math.max(...xs) / Math.min(...xs) : 0;
  const x = numeric
    ? {
        field: "value",
        type: "quantitative" as const,
        title: data.parameters[0],
        scale: positive && span >= 16 ? { type: "log" as const, nice: false } : { zero: false },
        // Ticks at the swept values: those are the points measured.
        axis: { values: [...new Set(xs)].sort((a, b) => a - b), labelOverlap: true },
      }
    : { field: "value", type: "ordinal" as const, title: data.parameters[0], sort: null };
  const color = { field: "strategy", type: "nominal" as const, sort: null };
  const layer = [
    {
      mark: { type: "area" as const, opacity: 0.2 },
      encoding: {
        x,
        y: { field: "low", type: "quantitative" as const },
        y2: { field: "high" },
        color,
      },
    },
    {
      mark: { type: "line" as const, point: true },
      encoding: {
        x,
        y: {
          field: "mean",
          type: "quantitative" as const,
          title: `${metric} (mean, 95% CI)`,
        },
        color,
      },
    },
  ];
  const common = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    config: { font: "system-ui, sans-serif" },
    data: { values },
  };
  if (data.parameters.length < 2) return { ...common, width: 560, height: 260, layer };
  const panels = [...new Set(data.points.map((p) => p.values[1]))];
  return {
    ...common,
    columns: Math.min(panels.length, 3),
    facet: {
      field: "panel",
      type: "ordinal",
      sort: panels,
      title: data.parameters[1],
    },
    spec: { width: 220, height: 180, layer },
  } as TopLevelSpec;
}

/** Every chart of a sweep, workload by workload and metric by metric. */
export function sweepCharts(data: SweepData): SweepChart[] {
  const first = data.points[0]?.doc;
  if (!first) return [];
  const charts: SweepChart[] = [];
  for (const workload of first.context.config.workloads.map((w) => w.name)) {
    for (const metric of data.metrics) {
      const spec = sweepChart(data, workload, metric);
      if (!spec) continue;
      charts.push({
        name: `${workload}-${metric}`,
        title: `${workload}: ${metric} against ${parametersLabel(data)}`,
        spec,
      });
    }
  }
  return charts;
}

/** The rows of one (workload, metric) table: the point's values, then a cell per strategy. */
function tableRows(
  data: SweepData,
  strategies: readonly string[],
  workload: string,
  metric: string,
): string[][] {
  return data.points.map((point) => [
    ...point.values,
    ...strategies.map((s) => cellText(point.doc, workload, s, metric)),
  ]);
}

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
 * Column widths that keep a text table within {@link WIDTH} columns: the parameter columns
 * keep their width, the strategy columns share the rest and wrap their cells at spaces
 * (the change against the baseline goes under the mean). Undefined when it fits as is.
 */
function fitColumns(
  rows: readonly (readonly string[])[],
  fixed: number,
): Record<number, { width: number; wrapWord: boolean }> | undefined {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  // Each column adds a border and a space on either side; the table adds a closing border.
  const natural = widths.reduce((sum, width) => sum + width + 3, 1);
  if (natural <= WIDTH) return undefined;
  const free = WIDTH - 1 - widths.slice(0, fixed).reduce((sum, width) => sum + width + 3, 0);
  const share = Math.floor(free / (widths.length - fixed)) - 3;
  const columns: Record<number, { width: number; wrapWord: boolean }> = {};
  for (let column = fixed; column < widths.length; column++) {
    // Never narrower than the longest word (a strategy name, a number with its CI).
    const longestWord = Math.max(
      ...rows.map((row) => Math.max(...row[column].split(" ").map((word) => word.length))),
    );
    columns[column] = { width: Math.max(share, longestWord), wrapWord: true };
  }
  return columns;
}

/**
 * The command line that reruns the sweep: the first point's `compare` command without the
 * swept settings, as `sweep` with one `--param` per swept parameter and the metrics.
 */
export function sweepReproduce(data: SweepData, format?: string): string {
  const first = data.points[0]?.doc;
  if (!first) return "";
  const words = first.context.reproduce.split(" ");
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const next = words[i + 1] ?? "";
    if (word === "--cpus" && data.parameters.includes("cpus")) {
      i++;
      continue;
    }
    if (word === "--set" && data.parameters.some((p) => next.startsWith(`${p}=`))) {
      i++;
      continue;
    }
    kept.push(word);
  }
  const command = kept.join(" ").replace(/^npx pkslab compare\b/, "npx pkslab sweep");
  const params = data.parameters.map((parameter, index) => {
    const values = [...new Set(data.points.map((point) => point.values[index]))];
    return `--param ${parameter}=${values.join(",")}`;
  });
  return [
    command,
    ...params,
    `--metric ${data.metrics.join(",")}`,
    ...(format ? [`--format ${format}`] : []),
  ].join(" ");
}

/**
 * The provenance of a sweep: the first point's tool version, commit and model hash (every
 * point ran on the same model), a config hash over every point's config hash, and the
 * command that reruns the sweep in `format`.
 */
export function sweepProvenance(data: SweepData, format?: string): Provenance {
  const first = data.points[0]?.doc;
  return provenance({
    toolVersion: first?.context.tool.version ?? "unknown",
    config: {
      parameters: data.parameters,
      metrics: data.metrics,
      points: data.points.map((point) => [point.values, point.doc.context.configHash]),
    },
    ...(first ? { costProfile: first.context.costProfile.name } : {}),
    reproduce: sweepReproduce(data, format),
    ...(first?.context.modelHash ? { modelHash: first.context.modelHash } : {}),
    gitCommit: first?.context.gitCommit ?? null,
  });
}

/** The context block of a sweep report (head: identification and disclaimer; or reproduce). */
function sweepContext(
  data: SweepData,
  format: string,
  style: ContextStyle,
  part: "head" | "reproduce",
): string[] {
  return renderContext(sweepProvenance(data, format === "table" ? undefined : format), style, part);
}

/** A column key for a swept parameter: its last dotted part (`pages` for pmem-dax.pages). */
function parameterKey(parameter: string): string {
  return parameter.slice(parameter.lastIndexOf(".") + 1);
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
