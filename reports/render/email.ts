/**
 * The email report, for LKML threads and cover letters: plain ASCII, no line over 72
 * columns, no box drawing. Per workload, one block with baseline / candidate / delta
 * columns for each shown metric and candidate strategy; `*` marks a change whose seeds'
 * 95% CIs do not overlap. Ends with a legend and the command that reproduces it.
 */
import { getBorderCharacters, table } from "table";
import type { MetricSummary, ResultDocument } from "../results.ts";
import {
  adoptionRows,
  adoptionTitle,
  allMetrics,
  baselineCell,
  byWorkload,
  delta,
  formatNumber,
  headerLines,
  legendLines,
  overallRows,
  overallTitle,
  type Renderer,
  type RenderOptions,
  statusNotes,
  strategyLabel,
  unitOf,
  versionLines,
  wrapWords,
} from "./common.ts";

export { wrapWords };

/** Maximum line length of the email format. */
export const EMAIL_WIDTH = 72;

/** Replaces anything outside printable ASCII (plugin names, reasons) with "?". */
export function toAscii(text: string): string {
  return text.replaceAll("±", "+-").replace(/[^\x20-\x7e\n]/g, "?");
}

const COLUMNS = {
  0: { width: 10, paddingLeft: 0, paddingRight: 1, wrapWord: true },
  1: { width: 18, paddingLeft: 0, paddingRight: 1, wrapWord: true },
  2: { width: 10, paddingLeft: 0, paddingRight: 1, alignment: "right" as const },
  3: { width: 10, paddingLeft: 0, paddingRight: 1, alignment: "right" as const },
  4: { width: 9, paddingLeft: 0, paddingRight: 0, alignment: "right" as const },
};

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
  const out: string[] = [...headerLines(doc)];
  const baseline = doc.context.config.baseline;
  for (const [workload, cells] of byWorkload(doc)) {
    const base = baselineCell(doc, cells);
    for (const cell of cells) {
      if (cell === base || cell.runs.length === 0) continue;
      out.push(
        "",
        `workload ${workload}`,
        `${baseline.padStart(16).slice(-16)} ${cell.strategy.padStart(27).slice(-27)}`,
        "---------------- ---------------------------",
        "         %stddev     %change         %stddev",
        "             \\          |                \\",
      );
      for (const shown of allMetrics(options)) {
        const a = base?.summary[shown.metric];
        const b = cell.summary[shown.metric];
        const d = delta(a, b, unitOf(doc, shown.metric));
        const line = `${formatNumber(a?.mean).padStart(9)} ${lkpSd(a)} ${d.text.padStart(10)} ${formatNumber(b?.mean).padStart(9)} ${lkpSd(b)}  `;
        if (line.length + shown.metric.length <= EMAIL_WIDTH) out.push(`${line}${shown.metric}`);
        else out.push(line.trimEnd(), `${"".padStart(16)}${shown.metric}`.slice(0, EMAIL_WIDTH));
      }
    }
    for (const note of statusNotes(cells)) out.push(...wrapWords(`note: ${note}`, EMAIL_WIDTH));
  }
  out.push(
    "",
    "%change = (candidate - baseline) / baseline; pt = change in points",
    "%stddev = relative sd over seeds, shown when at least 2%",
    `values are seed means; cost profile ${doc.context.costProfile.name}`,
  );
  out.push(...versionLines(doc, EMAIL_WIDTH));
  out.push(...wrapWords(`reproduce: ${doc.context.reproduce}`, EMAIL_WIDTH, "    ", " \\"));
  return `${out.map(toAscii).join("\n")}\n`;
}

function renderEmail(doc: ResultDocument, options?: RenderOptions): string {
  if (options?.style === "lkp") return renderLkp(doc, options);
  const out: string[] = [...headerLines(doc)];
  for (const [workload, cells] of byWorkload(doc)) {
    const base = baselineCell(doc, cells);
    out.push("", `workload ${workload}  (baseline ${doc.context.config.baseline})`);
    if (!base || base.runs.length === 0) {
      out.push(`  baseline ${doc.context.config.baseline} has no results for this workload`);
    }
    // Cells without runs (errors) get no metric rows; the note below says why.
    const candidates = cells.filter((cell) => cell !== base && cell.runs.length > 0);
    const rows: string[][] = [["metric", "strategy", "baseline", "candidate", "delta"]];
    for (const shown of allMetrics(options)) {
      candidates.forEach((cell, index) => {
        const d = delta(
          base?.summary[shown.metric],
          cell.summary[shown.metric],
          unitOf(doc, shown.metric),
        );
        rows.push([
          index === 0 ? shown.short : "",
          strategyLabel(cell),
          formatNumber(base?.summary[shown.metric]?.mean),
          formatNumber(cell.summary[shown.metric]?.mean),
          `${d.text}${d.significant ? "*" : " "}`,
        ]);
      });
    }
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
    for (const note of statusNotes(cells)) out.push(...wrapWords(`note: ${note}`, EMAIL_WIDTH));
  }
  const overall = overallRows(doc);
  if (byWorkload(doc).size > 1 && overall.length > 0) {
    out.push("", ...wrapWords(overallTitle(doc), EMAIL_WIDTH));
    for (const entry of overall) {
      out.push(
        `  ${entry.strategy.padEnd(24)} ${entry.change.padStart(9)}  (${entry.workloads} workloads)`,
      );
    }
  }
  const adoption = adoptionRows(doc);
  if (adoption.length > 0) {
    out.push("", ...wrapWords(adoptionTitle(doc), EMAIL_WIDTH));
    for (const entry of adoption) {
      out.push(`  ${entry.strategy.padEnd(24)} ${entry.sites.padStart(7)} sites`);
    }
  }
  out.push(
    "",
    ...legendLines(doc, false, options),
    `values are seed means; cost profile ${doc.context.costProfile.name}`,
  );
  out.push(...versionLines(doc, EMAIL_WIDTH));
  out.push(...wrapWords(`reproduce: ${doc.context.reproduce}`, EMAIL_WIDTH, "    ", " \\"));
  return `${out.map(toAscii).join("\n")}\n`;
}

/** The `email` format. */
export const emailRenderer: Renderer = {
  format: "email",
  extension: "txt",
  description: "plain ASCII for mailing lists, at most 72 columns",
  render: renderEmail,
};
