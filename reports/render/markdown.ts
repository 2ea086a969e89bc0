/** The markdown report: one GitHub table per workload, hyperfine-style `mean ± CI` cells. */
import type { ResultDocument } from "../results/results.ts";
import { adoptionRows, adoptionTitle, type Renderer, type RenderOptions } from "./common.ts";
import { reportModel } from "./model.ts";

const escapeCell = (text: string) => text.replaceAll("|", "\\|");

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(" | ")} |`;
}

function renderMarkdown(doc: ResultDocument, options?: RenderOptions): string {
  const model = reportModel(doc, options);
  const [identity, setup, disclaimer] = model.header;
  const md = (text: string) => text.replaceAll("*", "\\*");
  const out: string[] = [
    "# pkslab comparison",
    "",
    `${identity}  `,
    `${setup}`,
    "",
    `> ${disclaimer}`,
  ];
  for (const section of model.sections) {
    out.push("", `## ${section.workload}`, "");
    out.push(
      row([
        "strategy",
        "cycles/op (mean ± 95% CI)",
        "vs base [paired 95% CI]",
        ...model.columns.map((c) => c.long),
      ]),
    );
    out.push(row(["---", "---:", "---:", ...model.columns.map(() => "---:")]));
    for (const r of section.rows) {
      const change = `${r.change}${r.star ? "\\*" : ""}${r.interval ? ` ${r.interval}` : ""}`;
      out.push(
        row([`\`${r.label}\``, r.shown ? r.primary : `**${r.status}**`, change, ...r.values]),
      );
    }
    const notes = [...section.statusNotes, ...section.identicalNotes];
    if (section.setupNote) notes.push(section.setupNote);
    if (notes.length > 0) out.push("", ...notes.map((note) => `- ${md(note)}`));
  }
  const overall = model.overall;
  if (overall) {
    out.push("", `## ${md(overall.title.replace(/^overall: /, "Overall: "))}`, "");
    if (overall.lines.some((line) => line.change !== "-")) {
      out.push(
        row(["strategy", "change", "95% CI", "min / median / max", "ok on"]),
        row(["---", "---:", "---:", "---:", "---:"]),
      );
      for (const line of overall.lines) {
        out.push(
          row([
            `\`${line.strategy}\``,
            `${line.change}${line.star ? "\\*" : ""}`,
            line.interval,
            line.range,
            `${line.served} workloads`,
          ]),
        );
      }
    }
    if (overall.excluded.length > 0) {
      out.push("", `Not in the overall: ${overall.excluded.join("; ")}.`);
    }
  }
  const adoption = adoptionRows(doc);
  if (adoption.length > 0) {
    out.push("", `## ${adoptionTitle(doc).replace(/^adoption: /, "Adoption: ")}`, "");
    out.push(row(["strategy", "sites", "what changes"]), row(["---", "---:", "---"]));
    for (const entry of adoption)
      out.push(row([`\`${entry.strategy}\``, entry.sites, entry.summary]));
  }
  out.push("", "## Legend", "", ...model.legend.map((line) => `- ${md(line)}`));
  out.push("", "## Strategies", "", ...model.glossary.map((line) => `- ${md(line)}`));
  out.push("", "## Costs", "", ...model.unverified.map((line) => `- ${md(line)}`));
  out.push("", ...model.provenance.map((line) => `- ${line}`));
  out.push("", "Reproduce:", "", "```sh", model.reproduce, "```", "");
  return out.join("\n");
}

/** The `markdown` format. */
export const markdownRenderer: Renderer = {
  format: "markdown",
  extension: "md",
  description: "GitHub markdown tables, one per workload",
  render: renderMarkdown,
};
