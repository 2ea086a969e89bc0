/** The census as markdown (docs/census.md is regenerated from it). */

import type { CensusResult } from "./census.ts";
import {
  adoptionTable,
  apiTable,
  censusContext,
  directoryTable,
  excludedDirs,
  headlineDirs,
  type RenderCensusOptions,
  summaryLines,
  treeLabel,
  unreadableLines,
} from "./report.ts";

// ---------------------------------------------------------------------------------------
// markdown

function mdCell(value: string | number): string {
  return String(value).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A name as markdown code. */
const code = (name: string) => `\`${name}\``;

function mdTable(rows: readonly (readonly (string | number)[])[], numericFrom = 1): string {
  const [head, ...body] = rows;
  const align = head.map((_, index) => (index >= numericFrom ? "---:" : "---"));
  return [
    `| ${head.map(mdCell).join(" | ")} |`,
    `| ${align.join(" | ")} |`,
    ...body.map((row) => `| ${row.map(mdCell).join(" | ")} |`),
  ].join("\n");
}

export function renderMarkdown(result: CensusResult, options: RenderCensusOptions): string {
  const top = options.topDirectories ?? 25;
  const out: string[] = [
    `# Kernel call-site census: ${treeLabel(result)}`,
    "",
    ...censusContext(result, "markdown", "markdown", "head"),
    "",
    ...summaryLines(result),
    "",
  ];
  out.push("## Matches per API", "");
  out.push(mdTable(apiTable(result, code, "**total**"), 2), "");
  out.push("## Adoption", "");
  out.push(mdTable(adoptionTable(result, code), 1), "");
  for (const row of result.adoption) {
    if (row.terms.length === 0) continue;
    out.push(`- **${row.strategy}**: ${row.summary}`);
    for (const term of row.terms) {
      out.push(
        `  - ${term.counted ? "" : "(context) "}${term.label}: ${term.sites}; ${term.change}.`,
      );
    }
    for (const note of row.notCounted) out.push(`  - Not counted: ${note}`);
  }
  out.push("");
  out.push("## Calls per top-level directory", "");
  out.push(mdTable(directoryTable(headlineDirs(result, "topLevel"), code)), "");
  const second = headlineDirs(result, "secondLevel");
  out.push(`## Calls one level down (top ${Math.min(top, second.length)} of ${second.length})`, "");
  out.push(mdTable(directoryTable(second.slice(0, top), code)), "");
  const excluded = excludedDirs(result);
  if (excluded.length > 0) {
    out.push("## Excluded areas (not in the totals)", "");
    out.push(mdTable(directoryTable(excluded, code)), "");
  }
  out.push("## Unreadable entries", "", ...unreadableLines(result, 50).slice(1), "");
  if (result.scan.unreadable.length === 0) out.push("None.", "");
  out.push("## Counting rules", "", ...result.countingRules.map((rule) => `- ${rule}`), "");
  out.push(...censusContext(result, "markdown", "markdown", "reproduce"));
  return `${out.join("\n")}\n`;
}
