/**
 * The one report model every text exporter renders (hyperfine's exporters over one
 * result): per workload the rows with their statuses and marks, the columns with units and
 * directions, status and identical-rows notes, setup apart; the overall over common
 * workloads; the legend with the statistical method; the glossary; how much rests on
 * unverified costs; and the provenance. Exporters only lay it out.
 *
 * A cell that is `unsupported` or `failed` gets no numbers (its reason instead); a
 * `partial` cell gets its numbers with a mark and its counts, never a star.
 */

import {
  type CellReport,
  type MetricSummary,
  type ResultDocument,
  seedLabel,
} from "../results/results.ts";
import { PAIRED_METHOD } from "../results/stats.ts";
import { meanPerOp, PRIMARY_METRIC } from "../results/verdict.ts";
import {
  allMetrics,
  baselineCell,
  byWorkload,
  commitLabel,
  formatNumber,
  formatWithCi,
  hasNumbers,
  type RenderOptions,
  type ShownMetric,
} from "./common.ts";

/** Mark after the name of a partial cell. */
export const PARTIAL_MARK = "!";

/** One column of a workload table. */
export interface Column {
  readonly metric: string;
  /** Terminal and mail header (with "/op" when shown per operation). */
  readonly short: string;
  /** Markdown and HTML header. */
  readonly long: string;
  readonly unit: string;
  readonly direction: "lower" | "higher" | "none";
  readonly description: string;
  /** Shown as the seed mean of the metric divided by the run's operations. */
  readonly perOp: boolean;
}

/** One strategy's row in a workload table. */
export interface Row {
  readonly strategy: string;
  readonly status: CellReport["status"];
  readonly isBaseline: boolean;
  /** The name with its mark: "pks-kmap !" for partial. */
  readonly label: string;
  /** Costs and coverage are shown (ok and partial cells with runs). */
  readonly shown: boolean;
  /** cycles/op with its 95% CI over seeds, or the status when not shown. */
  readonly primary: string;
  /** cycles/op alone ("-" when not shown). */
  readonly primaryMean: string;
  /** "base", "+23.4%" or "" (not comparable). */
  readonly change: string;
  /** The paired 95% interval of the change: "[+22.8, +25.8]", or "". */
  readonly interval: string;
  /** The interval excludes zero and the cell is ok. */
  readonly star: boolean;
  /** The paired change as a fraction (charts), when there is one. */
  readonly changeValue?: number;
  /** Per column, the formatted value ("-" when not shown). */
  readonly values: readonly string[];
  /** Per column, the raw value (undefined when not shown). */
  readonly raw: readonly (number | undefined)[];
}

/** One workload's part of the report. */
export interface Section {
  readonly workload: string;
  readonly rows: readonly Row[];
  /** Why a cell is not ok, with its counts. */
  readonly statusNotes: readonly string[];
  /** Strategies whose numbers coincide by construction here, and why. */
  readonly identicalNotes: readonly string[];
  /** Setup work per strategy (once per run, not in the columns). */
  readonly setupNote?: string;
}

/** One candidate's overall line. */
export interface OverallLine {
  readonly strategy: string;
  readonly change: string;
  readonly interval: string;
  readonly star: boolean;
  readonly range: string;
  readonly served: string;
}

/** The whole report, ready to lay out. */
export interface ReportModel {
  readonly header: readonly string[];
  readonly columns: readonly Column[];
  readonly sections: readonly Section[];
  readonly overall?: {
    readonly title: string;
    readonly lines: readonly OverallLine[];
    readonly excluded: readonly string[];
  };
  readonly legend: readonly string[];
  readonly glossary: readonly string[];
  readonly unverified: readonly string[];
  readonly provenance: readonly string[];
  readonly reproduce: string;
}

/** "+23.4%" from a fraction (k/M for huge changes). */
export function percent(fraction: number): string {
  const value = fraction * 100;
  const sign = value > 0 ? "+" : value < 0 ? "-" : "";
  const magnitude = Math.abs(value);
  const body = magnitude >= 1e4 ? formatNumber(magnitude) : magnitude.toFixed(1);
  return `${sign}${body}%`;
}

/** "[+22.8, +25.8]" from fractions. */
export function interval(low: number, high: number): string {
  return `[${percent(low).replace("%", "")}, ${percent(high).replace("%", "")}]`;
}

/** Count metrics of the event and compat families are shown per operation. */
function perOpMetric(metric: string, unit: string): boolean {
  return unit === "count" && (metric.startsWith("events.") || metric.startsWith("compat."));
}

function columnsOf(doc: ResultDocument, options?: RenderOptions): Column[] {
  return allMetrics(options)
    .slice(1)
    .map((shown: ShownMetric): Column => {
      const spec = doc.metricCatalog[shown.metric];
      const unit = spec?.unit ?? "";
      const perOp = perOpMetric(shown.metric, unit);
      return {
        metric: shown.metric,
        short: perOp ? `${shown.short}/op` : shown.short,
        long: perOp ? `${shown.long} per op` : shown.long,
        unit: perOp ? `${unit === "count" ? "events" : unit} per operation` : unit,
        direction: spec?.direction ?? "none",
        description: spec?.description ?? "",
        perOp,
      };
    });
}

function meanOf(summary: MetricSummary | undefined): number | undefined {
  return summary?.mean === null || summary?.mean === undefined ? undefined : summary.mean;
}

function rowOf(cell: CellReport, base: CellReport | undefined, columns: readonly Column[]): Row {
  const isBaseline = cell === base;
  const shown = hasNumbers(cell);
  // Unsupported and failed rows show their status where cycles/op would be.
  const label = cell.status === "partial" ? `${cell.strategy} ${PARTIAL_MARK}` : cell.strategy;
  const raw = columns.map((column) =>
    !shown
      ? undefined
      : column.perOp
        ? meanPerOp(cell, column.metric)
        : meanOf(cell.summary[column.metric]),
  );
  const paired = cell.vsBaseline;
  return {
    strategy: cell.strategy,
    status: cell.status,
    isBaseline,
    label,
    shown,
    primary: shown ? formatWithCi(cell.summary[PRIMARY_METRIC]) : cell.status,
    primaryMean: shown ? formatNumber(meanOf(cell.summary[PRIMARY_METRIC])) : "-",
    change: isBaseline ? "base" : shown && paired ? percent(paired.change) : "",
    interval:
      !isBaseline && shown && paired && paired.n >= 2 ? interval(paired.ciLow, paired.ciHigh) : "",
    star: !isBaseline && paired !== undefined && paired.significant && cell.status === "ok",
    ...(paired && shown && !isBaseline ? { changeValue: paired.change } : {}),
    values: raw.map((value) => (value === undefined ? "-" : formatNumber(value))),
    raw,
  };
}

/** Every metric of every seed equal: the two cells cannot be told apart. */
function identicalRuns(a: CellReport, b: CellReport): boolean {
  if (a.runs.length === 0 || a.runs.length !== b.runs.length) return false;
  return a.runs.every((run, i) => {
    const other = b.runs[i];
    if (other.seed !== run.seed) return false;
    const names = Object.keys(run.metrics).filter((name) => !name.startsWith("strategy."));
    return names.every((name) => run.metrics[name] === (other.metrics[name] ?? 0));
  });
}

/** Why two cells coincide, from what the workload asked of them. */
function coincidence(a: CellReport, b: CellReport): string {
  const total = (cell: CellReport, metric: string) =>
    cell.runs.reduce((sum, run) => sum + (run.metrics[metric] ?? 0), 0);
  if (total(a, "run.multi_page_maps") === 0 && total(b, "run.multi_page_maps") === 0) {
    return "every mapping here is one page, where a range mapping is a one-page mapping";
  }
  if (total(a, "run.local_maps") === 0 && total(b, "run.local_maps") === 0) {
    return "no mapping here is local: both serve global and long-term mappings the same way";
  }
  return "their mechanisms coincide on this workload";
}

function identicalNotes(cells: readonly CellReport[]): string[] {
  const notes: string[] = [];
  const shown = cells.filter((cell) => cell.status === "ok" || cell.status === "partial");
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      if (identicalRuns(shown[i], shown[j])) {
        notes.push(
          `${shown[i].strategy} and ${shown[j].strategy} give identical numbers by construction: ${coincidence(shown[i], shown[j])}.`,
        );
      }
    }
  }
  return notes;
}

function statusNote(cell: CellReport): string {
  const why = cell.reason ?? "no reason given";
  if (cell.status === "partial") {
    return `${cell.strategy} ${PARTIAL_MARK} partial: ${why}; its numbers cover only the work done and enter no star or overall.`;
  }
  return `${cell.strategy}: ${cell.status}: ${why}.`;
}

function setupNote(cells: readonly CellReport[]): string | undefined {
  const parts: string[] = [];
  for (const cell of cells) {
    if (cell.runs.length === 0) continue;
    const mean = (metric: string) => meanOf(cell.summary[metric]) ?? 0;
    const cycles = mean("setup.cycles");
    if (cycles <= 0) continue;
    const count = (value: number, noun: string) =>
      `${formatNumber(value)} ${noun}${value === 1 ? "" : "s"}`;
    const bits = [count(cycles, "cycle")];
    const shootdowns = mean("setup.shootdowns");
    if (shootdowns > 0) bits.push(count(shootdowns, "shootdown"));
    const splits = mean("setup.direct_map_splits");
    if (splits > 0) bits.push(count(splits, "direct-map split"));
    parts.push(`${cell.strategy} ${bits.join(", ")}`);
  }
  return parts.length > 0
    ? `setup, once per run before the first operation (not in the columns): ${parts.join("; ")}`
    : undefined;
}

function seedsOf(doc: ResultDocument): number {
  return doc.context.config.seeds.length;
}

/** The statistical method, as every legend states it. */
export function methodLine(doc: ResultDocument): string {
  const n = seedsOf(doc);
  if (n < 2) {
    return `vs base: change in cycles/op against ${doc.context.config.baseline}; one seed (n = 1): no interval, no star`;
  }
  return `vs base: change in cycles/op against ${doc.context.config.baseline}, ${PAIRED_METHOD} (seed s against seed s), n = ${n}, 95% interval in brackets; * = the interval excludes 0 (ok cells only)`;
}

function directionText(direction: Column["direction"]): string {
  return direction === "higher"
    ? "higher is better"
    : direction === "lower"
      ? "lower is better"
      : "neither better nor worse";
}

function legendOf(doc: ResultDocument, columns: readonly Column[]): string[] {
  return [
    "cycles/op: steady-state cycles on all CPUs per workload operation, setup excluded (seed mean +- 95% CI); lower is better",
    methodLine(doc),
    ...columns.map(
      (column) =>
        `${column.short}: ${column.description} (${column.unit}; ${directionText(column.direction)})`,
    ),
    `status: ok = every map, unmap and access served; ${PARTIAL_MARK} = partial, some refused or broken (numbers cover the work done, no star, not in the overall); unsupported = the strategy cannot do this work; failed = oops, broken invariant or plugin error (no numbers for either, the reason instead)`,
  ];
}

function glossaryOf(doc: ResultDocument): string[] {
  return doc.glossary.map(
    (entry) =>
      `${entry.strategy}: ${entry.summary}${entry.proposed && entry.proposed.length > 0 ? ` Proposed, not in 6.1: ${entry.proposed.join("; ")}.` : ""}`,
  );
}

function unverifiedOf(doc: ResultDocument): string[] {
  const basis = doc.unverified;
  const lines = [
    `cost parameters: ${basis.parameters} of ${basis.of} are unverified placeholders (npx pkslab profile lists them)`,
  ];
  if (basis.share !== null) {
    const leaning = basis.leaning
      .slice(0, 3)
      .map((row) => `${row.parameter} ${percent(row.share).replace("+", "")}`)
      .join(", ");
    lines.push(
      `unverified parameters charge ${percent(basis.share).replace("+", "")} of the candidates' changes on the common workloads${leaning ? `; most: ${leaning}` : ""} (--sensitivity tests whether rankings survive their ranges)`,
    );
  }
  return lines;
}

function provenanceOf(doc: ResultDocument): string[] {
  const { context } = doc;
  const list = (entries: readonly { name: string; version: string }[]) =>
    entries.map((entry) => `${entry.name} ${entry.version}`).join(", ");
  return [
    `pkslab ${context.tool.version}, commit ${commitLabel(context.gitCommit)}, config ${context.configHash}, model ${context.modelHash}, profile ${context.costProfile.name}`,
    `strategies: ${list(context.config.strategies)}`,
    `workloads: ${list(context.config.workloads)}`,
  ];
}

function overallOf(doc: ResultDocument): ReportModel["overall"] {
  if (doc.overall.length === 0) return undefined;
  // The entries share the common ground; an absent strategy's entry has no figure.
  const first = doc.overall.find((entry) => entry.change !== null) ?? doc.overall[0];
  const n = first.n;
  const anyFigure = doc.overall.some((entry) => entry.change !== null);
  const title = anyFigure
    ? `overall: cycles/op vs ${doc.context.config.baseline} over the ${first.workloads.length} workload${first.workloads.length === 1 ? "" : "s"} every strategy served (geometric mean; ${PAIRED_METHOD}, n = ${n}, 95%)${doc.overall.some((e) => e.served.ok === 0) ? "; strategies ok on no workload are left out" : ""}`
    : doc.overall.every((entry) => entry.served.ok === 0)
      ? "overall: no compared strategy is ok on any workload, so no overall figure"
      : "overall: no workload on which every strategy is ok, so no overall figure";
  const lines = doc.overall.map((entry): OverallLine => {
    const has = entry.change !== null;
    return {
      strategy: entry.strategy,
      change: has ? percent(entry.change as number) : "-",
      interval: has && entry.n >= 2 ? interval(entry.ciLow as number, entry.ciHigh as number) : "",
      star: entry.significant,
      range:
        entry.min !== null && entry.median !== null && entry.max !== null
          ? `${percent(entry.min)} / ${percent(entry.median)} / ${percent(entry.max)}`
          : "-",
      served: `${entry.served.ok} of ${entry.served.of}`,
    };
  });
  const excluded = first.excluded.map((entry) => `${entry.workload} (${entry.reason})`);
  // Strategies ok on no workload (they cannot run here): no figure, named.
  const absent = doc.overall.filter((entry) => entry.served.ok === 0).map((e) => e.strategy);
  if (absent.length > 0) {
    excluded.push(`${absent.join(", ")}: ok on no workload, so no overall figure`);
  }
  return { title, lines, excluded };
}

/** The report model of a document. */
export function reportModel(doc: ResultDocument, options?: RenderOptions): ReportModel {
  const columns = columnsOf(doc, options);
  const sections: Section[] = [];
  for (const [workload, cells] of byWorkload(doc)) {
    const base = baselineCell(doc, cells);
    const setup = setupNote(cells);
    sections.push({
      workload,
      rows: cells.map((cell) => rowOf(cell, base, columns)),
      statusNotes: cells.filter((cell) => cell.status !== "ok").map(statusNote),
      identicalNotes: identicalNotes(cells),
      ...(setup ? { setupNote: setup } : {}),
    });
  }
  const { context } = doc;
  const { config } = context;
  return {
    header: [
      `${context.tool.name} ${context.tool.version}  commit ${commitLabel(context.gitCommit)}  config ${context.configHash}`,
      `profile ${context.costProfile.name}  seeds ${seedLabel(config.seeds)} (${config.seeds.length})  cpus ${config.machine.cpus}  baseline ${config.baseline}`,
      context.disclaimer,
    ],
    columns,
    sections,
    overall: byWorkload(doc).size > 1 ? overallOf(doc) : undefined,
    legend: legendOf(doc, columns),
    glossary: glossaryOf(doc),
    unverified: unverifiedOf(doc),
    provenance: provenanceOf(doc),
    reproduce: context.reproduce,
  };
}
