/** The census as markdown (docs/census.md is regenerated from it). */

import { CENSUS_API_GROUPS } from "./catalog.ts";
import type { CensusDirectoryRow, CensusResult } from "./census.ts";
import {
  adoptionBreakdown,
  adoptionContext,
  apiRows,
  censusContext,
  classTotals,
  excludedDirs,
  GROUP_LABELS,
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
  const sums = classTotals(result.totals);
  const out: string[] = [
    `# Kernel call-site census: ${treeLabel(result)}`,
    "",
    ...censusContext(result, "markdown", "markdown", "head"),
    "",
    ...summaryLines(result),
    "",
  ];
  out.push("## Matches per API", "");
  out.push(
    mdTable(
      [
        ["API", "group", "call", "member", "define", "decl/def", "calls in excluded areas"],
        ...apiRows(result).map((row) => [
          `\`${row.name}\``,
          GROUP_LABELS[row.group],
          row.call,
          row.member,
          row.define,
          row.declaration,
          row.excludedCalls,
        ]),
        [
          "**total**",
          "",
          sums.call,
          sums.member,
          sums.define,
          sums.declaration,
          result.excludedTotals.calls,
        ],
      ],
      2,
    ),
    "",
  );
  out.push("## Adoption", "");
  out.push(
    mdTable(
      [
        ["strategy", "sites", "counted", "context (not counted)"],
        ...result.adoption.map((row) => [
          `\`${row.strategy}\``,
          row.sites,
          adoptionBreakdown(row),
          adoptionContext(row) || "-",
        ]),
      ],
      1,
    ),
    "",
  );
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
  const groupHeader = CENSUS_API_GROUPS.map((group) => GROUP_LABELS[group]);
  const dirRow = (row: CensusDirectoryRow) => [
    `\`${row.dir}\``,
    ...CENSUS_API_GROUPS.map((group) => row.byGroup[group]),
    row.calls,
    row.files,
  ];
  out.push("## Calls per top-level directory", "");
  out.push(
    mdTable([
      ["dir", ...groupHeader, "calls", "files"],
      ...headlineDirs(result, "topLevel").map(dirRow),
    ]),
    "",
  );
  const second = headlineDirs(result, "secondLevel");
  out.push(`## Calls one level down (top ${Math.min(top, second.length)} of ${second.length})`, "");
  out.push(
    mdTable([["dir", ...groupHeader, "calls", "files"], ...second.slice(0, top).map(dirRow)]),
    "",
  );
  const excluded = excludedDirs(result);
  if (excluded.length > 0) {
    out.push("## Excluded areas (not in the totals)", "");
    out.push(mdTable([["dir", ...groupHeader, "calls", "files"], ...excluded.map(dirRow)]), "");
  }
  out.push("## Unreadable entries", "", ...unreadableLines(result, 50).slice(1), "");
  if (result.scan.unreadable.length === 0) out.push("None.", "");
  out.push("## Counting rules", "", ...result.countingRules.map((rule) => `- ${rule}`), "");
  out.push(...censusContext(result, "markdown", "markdown", "reproduce"));
  return `${out.join("\n")}\n`;
}
