/**
 * The email report, for LKML threads and cover letters: plain ASCII, no line over 72
 * columns, no box drawing. Per workload, one block with baseline / candidate / delta
 * columns for each shown metric and candidate strategy; `*` marks a change whose seeds'
 * 95% CIs do not overlap. Ends with a legend and the command that reproduces it.
 */
import { getBorderCharacters, table } from "table";
import type { ResultDocument } from "../results.ts";
import {
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

function renderEmail(doc: ResultDocument, options?: RenderOptions): string {
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
