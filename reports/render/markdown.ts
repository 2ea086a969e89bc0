/** The markdown report: one GitHub table per workload, hyperfine-style `mean ± CI` cells. */
import type { ResultDocument } from "../results.ts";
import {
  adoptionRows,
  adoptionTitle,
  baselineCell,
  byWorkload,
  DIFFERENCE_LEGEND,
  delta,
  deltaCi,
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
} from "./common.ts";

const escapeCell = (text: string) => text.replaceAll("|", "\\|");

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(" | ")} |`;
}

function renderMarkdown(doc: ResultDocument, options?: RenderOptions): string {
  const others = extraMetrics(options);
  const [identity, setup, disclaimer] = headerLines(doc);
  const out: string[] = [
    "# pkslab comparison",
    "",
    `${identity}  `,
    `${setup}`,
    "",
    `> ${disclaimer}`,
  ];
  for (const [workload, cells] of byWorkload(doc)) {
    const base = baselineCell(doc, cells);
    out.push("", `## ${workload}`, "");
    out.push(
      row([
        "strategy",
        "cycles/op (mean ± 95% CI)",
        "vs base [95% CI]",
        ...others.map((m) => m.long),
      ]),
    );
    out.push(row(["---", "---:", "---:", ...others.map(() => "---:")]));
    for (const cell of cells) {
      if (cell.runs.length === 0) {
        out.push(row([strategyLabel(cell), "-", "-", ...others.map(() => "-")]));
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
      out.push(
        row([
          `\`${strategyLabel(cell)}\``,
          formatWithCi(cell.summary[PRIMARY_METRIC]),
          `${d.text}${d.significant ? "\\*" : ""}${cell === base ? "" : ` ${deltaCi(base?.summary[PRIMARY_METRIC], cell.summary[PRIMARY_METRIC], unitOf(doc, PRIMARY_METRIC))}`}`.trimEnd(),
          ...others.map((m) => formatNumber(cell.summary[m.metric]?.mean)),
        ]),
      );
    }
    const notes = statusNotes(cells);
    if (notes.length > 0) out.push("", ...notes.map((note) => `- ${note}`));
  }
  const overall = overallRows(doc);
  if (byWorkload(doc).size > 1 && overall.length > 0) {
    out.push("", `## ${overallTitle(doc).replace(/^overall: /, "Overall: ")}`, "");
    out.push(row(["strategy", "cycles/op vs base", "workloads"]), row(["---", "---:", "---:"]));
    for (const entry of overall)
      out.push(row([`\`${entry.strategy}\``, entry.change, String(entry.workloads)]));
  }
  const adoption = adoptionRows(doc);
  if (adoption.length > 0) {
    out.push("", `## ${adoptionTitle(doc).replace(/^adoption: /, "Adoption: ")}`, "");
    out.push(row(["strategy", "sites", "what changes"]), row(["---", "---:", "---"]));
    for (const entry of adoption)
      out.push(row([`\`${entry.strategy}\``, entry.sites, entry.summary]));
  }
  out.push(
    "",
    ...[...legendLines(doc, true, options), DIFFERENCE_LEGEND].map(
      (line) => `- ${line.replaceAll("*", "\\*")}`,
    ),
  );
  out.push("", ...versionLines(doc, 10_000).map((line) => `- ${line}`));
  out.push("", "Reproduce:", "", "```sh", doc.context.reproduce, "```", "");
  return out.join("\n");
}

/** The `markdown` format. */
export const markdownRenderer: Renderer = {
  format: "markdown",
  extension: "md",
  description: "GitHub markdown tables, one per workload",
  render: renderMarkdown,
};
