/**
 * The CSV report, long form: one row per (workload, strategy, seed, metric) with the raw
 * per-seed value and the cell's status (so a spreadsheet can drop cells that did not do
 * their work). The identification lines, the legend and every cell's status come first as
 * `#` comments (pandas `comment="#"`, R `comment.char="#"`).
 */
import type { ResultDocument } from "../results/results.ts";
import type { Renderer } from "./common.ts";
import { reportModel } from "./model.ts";

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function renderCsv(doc: ResultDocument): string {
  const model = reportModel(doc);
  const notes = model.sections.flatMap((section) =>
    section.statusNotes.map((note) => `${section.workload}: ${note}`),
  );
  const lines = [
    ...model.header,
    ...model.provenance,
    `status: ok = every map, unmap and access served; partial = some refused or broken; unsupported, failed = no result (see the notes)`,
    ...notes,
    ...model.unverified,
  ].map((line) => `# ${line}`);
  lines.push(`# reproduce: ${model.reproduce}`);
  lines.push("workload,strategy,status,seed,metric,value");
  for (const cell of doc.results) {
    for (const run of cell.runs) {
      for (const [metric, value] of Object.entries(run.metrics)) {
        lines.push(
          [cell.workload, cell.strategy, cell.status, run.seed, metric, value]
            .map(csvField)
            .join(","),
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The `csv` format. */
export const csvRenderer: Renderer = {
  format: "csv",
  extension: "csv",
  description:
    "long-form CSV of every per-seed metric (workload,strategy,status,seed,metric,value)",
  render: renderCsv,
};
