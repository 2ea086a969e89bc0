/**
 * The terminal report: per workload, one row per strategy with the main metrics (seed
 * means), cycles/op with its 95% CI and the change against the baseline. Fits 120 columns.
 */
import { getBorderCharacters, table } from "table";
import type { ResultDocument } from "../results.ts";
import {
  adoptionRows,
  adoptionTitle,
  baselineCell,
  byWorkload,
  delta,
  extraMetrics,
  formatNumber,
  formatWithCi,
  headerLines,
  legendLines,
  overallRows,
  overallTitle,
  PRIMARY_METRIC,
  type Renderer,
  type RenderOptions,
  statusNotes,
  strategyLabel,
  unitOf,
  versionLines,
  wrapWords,
} from "./common.ts";

/** Maximum line length of the terminal report. */
export const WIDTH = 120;

function renderTable(doc: ResultDocument, options?: RenderOptions): string {
  const others = extraMetrics(options);
  const lines = headerLines(doc);
  let out = `${lines.join("\n")}\n`;
  for (const [workload, cells] of byWorkload(doc)) {
    const base = baselineCell(doc, cells);
    const rows: string[][] = [["strategy", "cycles/op", "vs base", ...others.map((m) => m.short)]];
    for (const cell of cells) {
      if (cell.runs.length === 0) {
        rows.push([strategyLabel(cell), "-", "-", ...others.map(() => "-")]);
        continue;
      }
      const d =
        cell === base
          ? { text: "base", significant: false }
          : delta(
              base?.summary[PRIMARY_METRIC],
              cell.summary[PRIMARY_METRIC],
              unitOf(doc, PRIMARY_METRIC),
            );
      rows.push([
        strategyLabel(cell),
        formatWithCi(cell.summary[PRIMARY_METRIC]),
        `${d.text}${d.significant ? "*" : ""}`,
        ...others.map((m) => formatNumber(cell.summary[m.metric]?.mean)),
      ]);
    }
    out += `\nworkload ${workload}\n`;
    const nameWidth = Math.min(16, Math.max(8, ...rows.map((row) => row[0].length)));
    out += table(rows, {
      border: getBorderCharacters("norc"),
      columns: {
        0: { width: nameWidth, wrapWord: true },
        1: { alignment: "right" },
        2: { alignment: "right" },
        ...Object.fromEntries(others.map((_, i) => [i + 3, { alignment: "right" as const }])),
      },
      drawHorizontalLine: (index, size) => index <= 1 || index === size,
    });
    for (const note of statusNotes(cells)) {
      out += `${wrapWords(`  note: ${note}`, WIDTH, "        ").join("\n")}\n`;
    }
  }
  const overall = overallRows(doc);
  if (byWorkload(doc).size > 1 && overall.length > 0) {
    out += `\n${overallTitle(doc)}\n`;
    out += table(
      [
        ["strategy", "cycles/op", "workloads"],
        ...overall.map((row) => [row.strategy, row.change, String(row.workloads)]),
      ],
      {
        border: getBorderCharacters("norc"),
        columns: { 1: { alignment: "right" }, 2: { alignment: "right" } },
        drawHorizontalLine: (index, size) => index <= 1 || index === size,
      },
    );
  }
  const adoption = adoptionRows(doc);
  if (adoption.length > 0) {
    out += `\n${wrapWords(adoptionTitle(doc), WIDTH, "  ").join("\n")}\n`;
    out += table(
      [
        ["strategy", "sites", "what changes"],
        ...adoption.map((r) => [r.strategy, r.sites, r.summary]),
      ],
      {
        border: getBorderCharacters("norc"),
        columns: { 1: { alignment: "right" }, 2: { width: 70, wrapWord: true } },
        drawHorizontalLine: (index, size) => index <= 1 || index === size,
      },
    );
  }
  out += `\n${legendLines(doc, true, options).join("\n")}\n`;
  out += "events are per run (seed mean); exposure in page-cycles\n";
  out +=
    "blocked = share of strays stopped; caught = share that faulted (a relaxed fault mode warns, then lets them through)\n";
  out += `${versionLines(doc, WIDTH).join("\n")}\n`;
  out += `${wrapWords(`reproduce: ${doc.context.reproduce}`, WIDTH, "    ", " \\").join("\n")}\n`;
  return out;
}

/** The `table` format. */
export const tableRenderer: Renderer = {
  format: "table",
  extension: "txt",
  description: "terminal tables, one per workload (default)",
  render: renderTable,
};
