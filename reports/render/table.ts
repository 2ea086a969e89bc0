/**
 * The terminal report: per workload, one row per strategy with cycles/op (seed mean and
 * 95% CI), the paired change against the baseline with its interval, and the shown
 * metrics (events per operation); then status, identical-rows and setup notes. After the
 * workloads: the overall over the common workloads, the legend, the glossary, what rests
 * on unverified costs and the provenance. Fits 120 columns.
 */
import { getBorderCharacters, table } from "table";
import type { ResultDocument } from "../results/results.ts";
import {
  adoptionRows,
  adoptionTitle,
  type Renderer,
  type RenderOptions,
  wrapWords,
} from "./common.ts";
import { reportModel } from "./model.ts";

/** Maximum line length of the terminal report. */
export const WIDTH = 120;

const BOX = {
  border: getBorderCharacters("norc"),
  drawHorizontalLine: (index: number, size: number) => index <= 1 || index === size,
};

function renderTable(doc: ResultDocument, options?: RenderOptions): string {
  const model = reportModel(doc, options);
  const wrap = (text: string, indent = "    ") => wrapWords(text, WIDTH, indent).join("\n");
  let out = `${model.header.join("\n")}\n`;
  const columns = model.columns;
  for (const section of model.sections) {
    const rows: string[][] = [
      // Per-op headers wrap before "/op".
      [
        "strategy",
        "cycles/op",
        "vs base\n[95% CI]",
        ...columns.map((c) => c.short.replace(/\/op$/, " /op")),
      ],
    ];
    for (const row of section.rows) {
      // The paired interval goes under the change, so the table keeps within 120 columns.
      const change = `${row.change}${row.star ? "*" : ""}`;
      rows.push([
        row.label,
        row.primary,
        row.interval ? `${change}\n${row.interval}` : change,
        ...row.values,
      ]);
    }
    out += `\nworkload ${section.workload}\n`;
    const nameWidth = Math.min(20, Math.max(8, ...rows.map((row) => row[0].length)));
    out += table(rows, {
      ...BOX,
      columns: {
        0: { width: nameWidth, wrapWord: true },
        1: { alignment: "right" },
        2: {
          alignment: "right",
          wrapWord: true,
          width: Math.max(
            8,
            ...rows.slice(1).flatMap((row) => row[2].split("\n").map((part) => part.length)),
          ),
        },
        ...Object.fromEntries(
          columns.map((c, i) => [
            i + 3,
            {
              alignment: "right" as const,
              // Headers wrap at their spaces: as wide as the widest value or header word.
              width: Math.max(
                ...c.short
                  .replace(/\/op$/, " /op")
                  .split(" ")
                  .map((word) => word.length),
                ...rows.slice(1).map((row) => row[i + 3].length),
              ),
              wrapWord: true,
            },
          ]),
        ),
      },
    });
    for (const note of [...section.statusNotes, ...section.identicalNotes]) {
      out += `${wrap(`  note: ${note}`, "        ")}\n`;
    }
    if (section.setupNote) out += `${wrap(`  ${section.setupNote}`, "        ")}\n`;
  }
  const overall = model.overall;
  if (overall) {
    out += `\n${wrap(overall.title, "  ")}\n`;
    if (overall.lines.some((line) => line.change !== "-")) {
      out += table(
        [
          ["strategy", "change", "95% CI", "min / median / max", "ok on"],
          ...overall.lines.map((line) => [
            line.strategy,
            `${line.change}${line.star ? "*" : ""}`,
            line.interval,
            line.range,
            `${line.served} workloads`,
          ]),
        ],
        {
          ...BOX,
          columns: {
            1: { alignment: "right" },
            2: { alignment: "right" },
            3: { alignment: "right" },
            4: { alignment: "right" },
          },
        },
      );
    }
    if (overall.excluded.length > 0) {
      out += `${wrap(`  not in the overall: ${overall.excluded.join("; ")}`, "      ")}\n`;
    }
  }
  const adoption = adoptionRows(doc);
  if (adoption.length > 0) {
    out += `\n${wrap(adoptionTitle(doc), "  ")}\n`;
    out += table(
      [
        ["strategy", "sites", "what changes"],
        ...adoption.map((r) => [r.strategy, r.sites, r.summary]),
      ],
      { ...BOX, columns: { 1: { alignment: "right" }, 2: { width: 70, wrapWord: true } } },
    );
  }
  out += "\nlegend\n";
  for (const line of model.legend) out += `${wrap(`  ${line}`)}\n`;
  out += "strategies\n";
  for (const line of model.glossary) out += `${wrap(`  ${line}`)}\n`;
  out += "costs\n";
  for (const line of model.unverified) out += `${wrap(`  ${line}`)}\n`;
  for (const line of model.provenance) out += `${wrap(line, "  ")}\n`;
  out += `${wrapWords(`reproduce: ${model.reproduce}`, WIDTH, "    ", " \\").join("\n")}\n`;
  return out;
}

/** The `table` format. */
export const tableRenderer: Renderer = {
  format: "table",
  extension: "txt",
  description: "terminal tables, one per workload (default)",
  render: renderTable,
};
