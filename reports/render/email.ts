/**
 * The email report, for LKML threads and cover letters: plain ASCII, no line over 72
 * columns, no box drawing. Per workload, one block with baseline / candidate / delta
 * columns for each shown metric and candidate strategy; `*` marks a change whose seeds'
 * 95% CIs do not overlap. Ends with a legend and the command that reproduces it.
 */
import { getBorderCharacters, table } from "table";
import type { MetricSummary, ResultDocument } from "../results/results.ts";
import {
  adoptionRows,
  adoptionTitle,
  allMetrics,
  baselineCell,
  byWorkload,
  delta,
  formatNumber,
  PRIMARY_METRIC,
  type Renderer,
  type RenderOptions,
  unitOf,
  wrapWords,
} from "./common.ts";
import { type ReportModel, type Row, reportModel } from "./model.ts";

export { wrapWords };

/** Maximum line length of the email format. */
export const EMAIL_WIDTH = 72;

/** Replaces anything outside printable ASCII (plugin names, reasons) with "?". */
export function toAscii(text: string): string {
  return text.replaceAll("±", "+-").replace(/[^\x20-\x7e\n]/g, "?");
}

const COLUMNS = {
  0: { width: 12, paddingLeft: 0, paddingRight: 1, wrapWord: true },
  1: { width: 17, paddingLeft: 0, paddingRight: 1, wrapWord: true },
  2: { width: 9, paddingLeft: 0, paddingRight: 1, alignment: "right" as const },
  3: { width: 9, paddingLeft: 0, paddingRight: 1, alignment: "right" as const },
  4: { width: 15, paddingLeft: 0, paddingRight: 0, alignment: "right" as const },
};

/** The legend, glossary, cost lines, provenance and reproduce line; the mail as ASCII. */
function finish(out: string[], model: ReportModel): string {
  const wrap = (text: string, indent = "    ") => wrapWords(text, EMAIL_WIDTH, indent);
  for (const line of model.legend) out.push(...wrap(`  ${line}`));
  out.push("strategies:");
  for (const line of model.glossary) out.push(...wrap(`  ${line}`));
  out.push("costs:");
  for (const line of model.unverified) out.push(...wrap(`  ${line}`));
  out.push("");
  for (const line of model.provenance) out.push(...wrap(line, "  "));
  out.push(...wrapWords(`reproduce: ${model.reproduce}`, EMAIL_WIDTH, "    ", " \\"));
  return `${out.map(toAscii).join("\n")}\n`;
}

/** A relative sd as LKP prints it (in ASCII): "+-  2%" when at least 2%, blank otherwise. */
function lkpSd(summary: MetricSummary | undefined): string {
  const blank = "      ";
  if (!summary || summary.mean === null || summary.sd === null || summary.mean === 0) return blank;
  const percent = Math.round((summary.sd / Math.abs(summary.mean)) * 100);
  return percent >= 2 ? `+-${String(percent).padStart(3)}%` : blank;
}

/**
 * The LKP robot's layout: per workload and candidate, one line per metric with the
 * baseline mean and relative sd, the raw change, the candidate's mean and sd, and the
 * metric's name last (on its own line when it would pass 72 columns).
 */
function renderLkp(doc: ResultDocument, options?: RenderOptions): string {
  const model = reportModel(doc, options);
  const wrap = (text: string, indent = "    ") => wrapWords(text, EMAIL_WIDTH, indent);
  const out: string[] = [...model.header];
  const baseline = doc.context.config.baseline;
  for (const [workload, cells] of byWorkload(doc)) {
    const base = baselineCell(doc, cells);
    const section = model.sections.find((s) => s.workload === workload);
    for (const cell of cells) {
      if (cell === base) continue;
      const row = section?.rows.find((r) => r.strategy === cell.strategy);
      out.push(
        "",
        `workload ${workload}`,
        `${baseline.padStart(16).slice(-16)} ${(row?.label ?? cell.strategy).padStart(27).slice(-27)}`,
      );
      if (!row?.shown || !base || base.status !== "ok") {
        out.push(
          ...wrap(
            `  no numbers: ${cell.strategy} ${cell.status}, ${baseline} ${base?.status ?? "missing"}`,
          ),
        );
        continue;
      }
      out.push(
        "---------------- ---------------------------",
        "         %stddev     %change         %stddev",
        "             \\          |                \\",
      );
      for (const shown of allMetrics(options)) {
        const a = base.summary[shown.metric];
        const b = cell.summary[shown.metric];
        // cycles/op takes the paired change; the other metrics the change of their means.
        const change =
          shown.metric === PRIMARY_METRIC
            ? `${row.change}${row.star ? "*" : ""}`
            : delta(a, b, unitOf(doc, shown.metric)).text;
        const line = `${formatNumber(a?.mean).padStart(9)} ${lkpSd(a)} ${change.padStart(10)} ${formatNumber(b?.mean).padStart(9)} ${lkpSd(b)}  `;
        if (line.length + shown.metric.length <= EMAIL_WIDTH) out.push(`${line}${shown.metric}`);
        else out.push(line.trimEnd(), `${"".padStart(16)}${shown.metric}`.slice(0, EMAIL_WIDTH));
      }
    }
    for (const note of [...(section?.statusNotes ?? []), ...(section?.identicalNotes ?? [])]) {
      out.push(...wrap(`note: ${note}`));
    }
  }
  out.push(
    "",
    "legend:",
    "%change = (candidate - baseline) / baseline; pt = change in points; for",
    "  cycles/op the paired change (* = its 95% interval excludes 0)",
    "%stddev = relative sd over seeds, shown when at least 2%",
    "values are seed means",
  );
  return finish(out, model);
}

function renderEmail(doc: ResultDocument, options?: RenderOptions): string {
  if (options?.style === "lkp") return renderLkp(doc, options);
  const model = reportModel(doc, options);
  const wrap = (text: string, indent = "    ") => wrapWords(text, EMAIL_WIDTH, indent);
  const out: string[] = [...model.header];
  const baseline = doc.context.config.baseline;
  for (const section of model.sections) {
    out.push("", `workload ${section.workload}  (baseline ${baseline})`);
    const base = section.rows.find((row) => row.isBaseline);
    if (!base?.shown) {
      out.push(`  baseline ${baseline} has no numbers for this workload`);
    }
    const candidates = section.rows.filter((row) => !row.isBaseline);
    const rows: string[][] = [["metric", "strategy", "baseline", "candidate", "delta"]];
    const metrics = [
      {
        short: "cycles/op",
        base: base?.primaryMean ?? "-",
        of: (row: Row) => row.primaryMean,
      },
      ...model.columns.map((column, index) => ({
        short: column.short,
        base: base?.values[index] ?? "-",
        of: (row: Row) => row.values[index],
      })),
    ];
    metrics.forEach((metric, m) => {
      let labelled = false;
      const label = () => {
        const text = labelled ? "" : metric.short;
        labelled = true;
        return text;
      };
      for (const row of candidates) {
        // Unsupported and failed cells get one line with their status and no numbers.
        if (!row.shown) {
          if (m === 0) rows.push([label(), row.label, "", "", row.status]);
          continue;
        }
        const delta = m === 0 ? `${row.change}${row.star ? "*" : " "}` : "";
        rows.push([label(), row.label, metric.base, metric.of(row), delta]);
        // The change's paired 95% interval on the line below it.
        if (m === 0 && row.interval) rows.push(["", "", "", "", row.interval.replaceAll(" ", "")]);
      }
    });
    if (candidates.length > 0) {
      const text = table(rows, {
        border: getBorderCharacters("void"),
        columnDefault: { paddingLeft: 0, paddingRight: 1 },
        columns: COLUMNS,
        drawHorizontalLine: () => false,
      });
      out.push(
        ...text
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => line.trimEnd()),
      );
    }
    for (const note of [...section.statusNotes, ...section.identicalNotes]) {
      out.push(...wrap(`note: ${note}`));
    }
    if (section.setupNote) out.push(...wrap(section.setupNote));
  }
  const overall = model.overall;
  if (overall) {
    out.push("", ...wrap(overall.title));
    for (const line of overall.lines) {
      out.push(
        `  ${line.strategy.padEnd(18)} ${`${line.change}${line.star ? "*" : ""}`.padStart(9)} ${line.interval.padStart(18)}  ok on ${line.served}`,
      );
      if (line.range !== "-") out.push(`  ${"".padEnd(18)} min/median/max ${line.range}`);
    }
    if (overall.excluded.length > 0) {
      out.push(...wrap(`  not in the overall: ${overall.excluded.join("; ")}`));
    }
  }
  const adoption = adoptionRows(doc);
  if (adoption.length > 0) {
    out.push("", ...wrap(adoptionTitle(doc)));
    for (const entry of adoption) {
      out.push(`  ${entry.strategy.padEnd(24)} ${entry.sites.padStart(7)} sites`);
    }
  }
  out.push("", "legend:");
  return finish(out, model);
}

/** The `email` format. */
export const emailRenderer: Renderer = {
  format: "email",
  extension: "txt",
  description: "plain ASCII for mailing lists, at most 72 columns",
  render: renderEmail,
};
