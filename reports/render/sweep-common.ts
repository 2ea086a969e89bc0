/**
 * What every sweep format shares: the sweep's shape (points, parameters, metrics), a cell's
 * text, the labels of the header (parameters, CPUs, units, config hashes), the table rows,
 * and the sweep's provenance and reproduce line.
 */

import {
  type ContextStyle,
  type Provenance,
  provenance,
  renderContext,
} from "../results/provenance.ts";
import type { ResultDocument } from "../results/results.ts";
import { PAIRED_METHOD } from "../results/stats.ts";
import { pairedChangeOf } from "../results/verdict.ts";
import { ciHalf, delta, formatNumber } from "./common.ts";
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
export const SWEEP_STAR = `the paired 95% interval excludes 0 (${PAIRED_METHOD}, ok cells only)`;

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
export function parametersLabel(data: SweepData): string {
  return data.parameters.join(" x ");
}

/** The machine's CPU count as the header states it. */
export function cpusLabel(data: SweepData, first: ResultDocument): string {
  return data.parameters.includes("cpus") ? "swept" : String(first.context.config.machine.cpus);
}

export function unitOf(first: ResultDocument, metric: string): string {
  return first.metricCatalog[metric]?.unit ?? "";
}

/** Config hash of each point, labelled by its values. */
export function hashesLabel(data: SweepData): string {
  return data.points.map((p) => `${p.values.join(",")}:${p.doc.context.configHash}`).join(" ");
}

/** The rows of one (workload, metric) table: the point's values, then a cell per strategy. */
export function tableRows(
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

/**
 * Column widths that keep a text table within {@link WIDTH} columns: the parameter columns
 * keep their width, the strategy columns share the rest and wrap their cells at spaces
 * (the change against the baseline goes under the mean). Undefined when it fits as is.
 */
export function fitColumns(
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
export function sweepContext(
  data: SweepData,
  format: string,
  style: ContextStyle,
  part: "head" | "reproduce",
): string[] {
  return renderContext(sweepProvenance(data, format === "table" ? undefined : format), style, part);
}

/** A column key for a swept parameter: its last dotted part (`pages` for pmem-dax.pages). */
export function parameterKey(parameter: string): string {
  return parameter.slice(parameter.lastIndexOf(".") + 1);
}
