/**
 * What every renderer shares: the Renderer interface, the metrics a report shows, number
 * formatting, deltas against the baseline and the header every format carries (tool
 * version, config hash, cost profile, seeds, and the model-results disclaimer).
 */
import { unknownChoiceError } from "../../core/errors.ts";
import { commitLabel } from "../results/provenance.ts";
import type { CellReport, MetricSummary, ResultDocument } from "../results/results.ts";
import type { Summary } from "../results/stats.ts";
import { significant } from "../results/stats.ts";
import { PRIMARY_METRIC } from "../results/verdict.ts";

/** Output formats of `pkslab compare --format`. */
export const FORMATS = ["table", "markdown", "email", "csv", "json", "html"] as const;
export type Format = (typeof FORMATS)[number];

/** A report format: turns a result document into text (hyperfine's Exporter shape). */
export interface Renderer {
  readonly format: Format;
  /** Usual file name extension, without the dot. */
  readonly extension: string;
  /** One line for `--help`. */
  readonly description: string;
  render(doc: ResultDocument, options?: RenderOptions): string | Promise<string>;
}

/** Choices a report leaves to the user. */
export interface RenderOptions {
  /** Metric columns after cycles/op (default {@link EXTRA_METRICS}). */
  readonly metrics?: readonly ShownMetric[];
  /** Email layout: mmtests-like blocks (default) or the LKP robot's comparison lines. */
  readonly style?: EmailStyle;
}

/** Layouts of the email format. */
export const EMAIL_STYLES = ["mmtests", "lkp"] as const;
export type EmailStyle = (typeof EMAIL_STYLES)[number];

/** A metric a report shows: name, short (terminal/mail) label, long (markdown) label. */
export interface ShownMetric {
  readonly metric: string;
  readonly short: string;
  readonly long: string;
}

/** The main metrics of every report, in column order. */
export const SHOWN_METRICS: readonly ShownMetric[] = [
  { metric: "cost.cycles_per_op", short: "cycles/op", long: "cycles/op" },
  { metric: "events.pkrs_writes", short: "PKRS wr", long: "PKRS writes" },
  { metric: "events.shootdowns", short: "shootdn", long: "shootdowns" },
  { metric: "events.tlb_misses", short: "TLB miss", long: "TLB misses" },
  { metric: "coverage.blocked_ratio", short: "blocked", long: "strays blocked" },
  { metric: "coverage.caught_ratio", short: "caught", long: "strays caught" },
  { metric: "compat.false_faults", short: "false flt", long: "false faults" },
  { metric: "exposure.fraction", short: "exposed", long: "exposed (fraction of page-time)" },
];

const SI: readonly [number, string][] = [
  [1e12, "T"],
  [1e9, "G"],
  [1e6, "M"],
];

/** Compact number: integers as is up to 999999, then 3 significant digits with k/M/G/T. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  const magnitude = Math.abs(value);
  for (const [scale, suffix] of SI) {
    if (magnitude >= scale) return `${(value / scale).toPrecision(3)}${suffix}`;
  }
  if (magnitude >= 1e5) return `${(value / 1e3).toPrecision(3)}k`;
  if (Number.isInteger(value)) return String(value);
  if (magnitude >= 1000) return value.toFixed(0);
  if (magnitude >= 100) return value.toFixed(1);
  return value.toFixed(2);
}

/** Half width of a summary's 95% CI, or null when there is no spread to show. */
export function ciHalf(summary: MetricSummary | undefined): number | null {
  if (!summary || summary.n < 2 || summary.ciHigh === null || summary.mean === null) return null;
  const half = summary.ciHigh - summary.mean;
  return half > 0 ? half : null;
}

/** "mean ±half" (or just the mean when the seeds agree). */
export function formatWithCi(summary: MetricSummary | undefined): string {
  if (!summary) return "-";
  const half = ciHalf(summary);
  return half === null
    ? formatNumber(summary.mean)
    : `${formatNumber(summary.mean)} ±${formatHalf(half)}`;
}

/** A CI half width: two significant digits, with k/M/G from 10000 on. */
export function formatHalf(half: number): string {
  const rounded = Number(half.toPrecision(2));
  if (rounded < 1e4) return String(rounded);
  for (const [scale, suffix] of [...SI, [1e3, "k"] as [number, string]]) {
    if (rounded >= scale) return `${Number((rounded / scale).toPrecision(2))}${suffix}`;
  }
  return String(rounded);
}

function asSummary(s: MetricSummary): Summary | null {
  if (s.mean === null || s.ciLow === null || s.ciHigh === null || s.sd === null) return null;
  return { n: s.n, mean: s.mean, sd: s.sd, ciLow: s.ciLow, ciHigh: s.ciHigh };
}

/** A candidate's change against the baseline for one metric. */
export interface Delta {
  /** "+12.3%", "-4.0pt" (ratios, in points), "n/a". */
  readonly text: string;
  /** Both sides have ≥ 2 seeds and their 95% CIs do not overlap. */
  readonly significant: boolean;
}

/** Change of `candidate` against `base`: percent, or points for ratio metrics. */
export function delta(
  base: MetricSummary | undefined,
  candidate: MetricSummary | undefined,
  unit: string,
): Delta {
  if (!base || !candidate || base.mean === null || candidate.mean === null)
    return { text: "n/a", significant: false };
  const a = asSummary(base);
  const b = asSummary(candidate);
  const marked = a !== null && b !== null && a.n >= 2 && b.n >= 2 && significant(a, b);
  const sign = (value: number) => (value > 0 ? "+" : value < 0 ? "-" : "");
  if (unit === "ratio") {
    const points = (candidate.mean - base.mean) * 100;
    return { text: `${sign(points)}${Math.abs(points).toFixed(1)}pt`, significant: marked };
  }
  if (base.mean === 0) {
    return { text: candidate.mean === 0 ? "0.0%" : "n/a", significant: false };
  }
  const percent = ((candidate.mean - base.mean) / Math.abs(base.mean)) * 100;
  const body =
    Math.abs(percent) >= 1e4 ? formatNumber(Math.abs(percent)) : Math.abs(percent).toFixed(1);
  return { text: `${sign(percent)}${body}%`, significant: marked };
}

/** The cells of a document grouped by workload, in result order. */
export function byWorkload(doc: ResultDocument): Map<string, CellReport[]> {
  const groups = new Map<string, CellReport[]>();
  for (const cell of doc.results) {
    const list = groups.get(cell.workload) ?? [];
    list.push(cell);
    groups.set(cell.workload, list);
  }
  return groups;
}

/** Whether a cell did its work: ok or partial, with runs to take numbers from. */
export function hasNumbers(cell: CellReport): boolean {
  return (cell.status === "ok" || cell.status === "partial") && cell.runs.length > 0;
}

/** The baseline cell of a workload, when it ran. */
export function baselineCell(
  doc: ResultDocument,
  cells: readonly CellReport[],
): CellReport | undefined {
  return cells.find((cell) => cell.strategy === doc.context.config.baseline);
}

/** Unit of a metric from the document's catalog ("" when unknown). */
export function unitOf(doc: ResultDocument, metric: string): string {
  return doc.metricCatalog[metric]?.unit ?? "";
}

/** The primary metric of every report: cycles/op, shown with its CI and delta. */
export { PRIMARY_METRIC };

/** The default metric columns after cycles/op. */
export const EXTRA_METRICS: readonly ShownMetric[] = SHOWN_METRICS.filter(
  (m) => m.metric !== PRIMARY_METRIC,
);

/** The metric columns after cycles/op for these options. */
export function extraMetrics(options: RenderOptions | undefined): readonly ShownMetric[] {
  return options?.metrics ?? EXTRA_METRICS;
}

/** Every metric a report shows: cycles/op first, then the extra columns. */
export function allMetrics(options: RenderOptions | undefined): readonly ShownMetric[] {
  return [SHOWN_METRICS[0], ...extraMetrics(options)];
}

/**
 * Metric columns from names (`--metrics`): known ones keep their labels, others are
 * labelled by their name without the family prefix. Unknown names are a UserInputError.
 */
export function metricsByName(doc: ResultDocument, names: readonly string[]): ShownMetric[] {
  const known = Object.keys(doc.metricCatalog);
  return names.map((name) => {
    if (!Object.hasOwn(doc.metricCatalog, name)) throw unknownChoiceError("metric", name, known);
    const preset = SHOWN_METRICS.find((m) => m.metric === name);
    if (preset) return preset;
    const label = name.includes(".") ? name.slice(name.indexOf(".") + 1) : name;
    return { metric: name, short: label, long: label };
  });
}

/**
 * Wraps `text` at spaces so that no line exceeds `width`; continuation lines get `indent`
 * and the broken lines end with `join` (" \\" for shell commands). A word too long for
 * any line is split with a bare backslash-newline and continues at column 0, which a POSIX
 * shell joins back into the same word.
 */
export function wrapWords(text: string, width: number, indent = "  ", join = ""): string[] {
  const lines: string[] = [];
  let current = "";
  for (let word of text.split(" ")) {
    const candidate = current === "" ? word : `${current} ${word}`;
    if (candidate.length + join.length <= width || current.trim() === "") {
      if (candidate.length <= width || join === "") {
        current = candidate;
        continue;
      }
    } else {
      lines.push(`${current}${join}`);
      current = indent;
    }
    // Place `word` after `current`, splitting it when it does not fit.
    let prefix = current === "" || current === indent ? current : `${current} `;
    while (prefix.length + word.length + join.length > width && join !== "") {
      const room = Math.max(1, width - prefix.length - 1);
      lines.push(`${prefix}${word.slice(0, room)}\\`);
      word = word.slice(room);
      prefix = "";
    }
    current = `${prefix}${word}`;
  }
  if (current.trim() !== "") lines.push(current);
  return lines;
}

/**
 * The adoption block (`compare --census`): per strategy of the report, the kernel call
 * sites its API would have to change, from the census of a real tree. Empty without one.
 */
export function adoptionRows(
  doc: ResultDocument,
): { strategy: string; sites: string; summary: string }[] {
  const census = doc.census;
  if (!census) return [];
  return doc.context.config.strategies.map(({ name }) => {
    const row = census.adoption.find((entry) => entry.strategy === name);
    return row
      ? { strategy: name, sites: String(row.sites), summary: row.summary }
      : { strategy: name, sites: "-", summary: "no adoption rule in the census" };
  });
}

/** Title line of the adoption block. */
export function adoptionTitle(doc: ResultDocument): string {
  const census = doc.census;
  return census
    ? `adoption: kernel call sites to change (census of ${census.release ?? "a Linux tree"}, arch ${census.arch}, ${census.totalCalls} calls in all)`
    : "";
}

/** The commit as reports print it ("bf8572c74bfc", or with "-dirty"). */
export { commitLabel };

/**
 * The versions that produced a document, for citing it: strategies and workloads with their
 * versions and, when known, the pkslab git commit. Wrapped at `width`.
 */
export function versionLines(doc: ResultDocument, width: number): string[] {
  const { context } = doc;
  const list = (entries: readonly { name: string; version: string }[]) =>
    entries.map((entry) => `${entry.name} ${entry.version}`).join(", ");
  const lines = [
    ...wrapWords(`strategies: ${list(context.config.strategies)}`, width, "  "),
    ...wrapWords(`workloads: ${list(context.config.workloads)}`, width, "  "),
  ];
  if (context.gitCommit) lines.push(`pkslab commit ${commitLabel(context.gitCommit)}`);
  return lines;
}
