/**
 * The CSV report, long form: one row per (workload, strategy, seed, metric) with the raw
 * per-seed value. The identification lines come first as `#` comments (pandas
 * `comment="#"`, R `comment.char="#"`).
 */
import type { ResultDocument } from "../results.ts";
import { headerLines, type Renderer, versionLines } from "./common.ts";

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function renderCsv(doc: ResultDocument): string {
  const lines = [...headerLines(doc), ...versionLines(doc, 10_000)].map((line) => `# ${line}`);
  lines.push("workload,strategy,seed,metric,value");
  for (const cell of doc.results) {
    for (const run of cell.runs) {
      for (const [metric, value] of Object.entries(run.metrics)) {
        lines.push([cell.workload, cell.strategy, run.seed, metric, value].map(csvField).join(","));
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The `csv` format. */
export const csvRenderer: Renderer = {
  format: "csv",
  extension: "csv",
  description: "long-form CSV of every per-seed metric (workload,strategy,seed,metric,value)",
  render: renderCsv,
};
