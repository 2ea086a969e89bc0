/**
 * Renderers for the census: table (the `table` package), markdown, email (plain ASCII,
 * at most 72 columns), csv (per-file rows) and json (everything, versioned).
 */
import { table } from "table";
import {
  type ContextStyle,
  commandLine,
  type Provenance,
  provenance,
  renderContext,
  toolVersion,
} from "../../results/provenance.ts";
import type { CensusAdoptionResult } from "./adoption.ts";
import { CENSUS_API_GROUPS, type CensusApiGroup, MATCH_CLASSES } from "./catalog.ts";
import type { CensusDirectoryRow, CensusResult, CensusTotals } from "./census.ts";

export const CENSUS_FORMATS = ["table", "markdown", "email", "csv", "json"] as const;
export type CensusFormat = (typeof CENSUS_FORMATS)[number];

export interface RenderCensusOptions {
  /** json only: include every match (path, line, api, class, function). */
  readonly sites?: boolean;
  /** How many second-level directories the human formats list (default 25). */
  readonly topDirectories?: number;
}

const GROUP_LABELS: Record<CensusApiGroup, string> = {
  kmap: "kmap",
  kmap_atomic: "kmap_atomic",
  kmap_local: "kmap_local",
  "direct-map": "direct-map",
  vmap: "vmap",
  reverse: "reverse",
  helper: "helpers",
};

/** Short column names for the 72-column email. */
const GROUP_SHORT: Record<CensusApiGroup, string> = {
  kmap: "km",
  kmap_atomic: "kma",
  kmap_local: "kml",
  "direct-map": "dm",
  vmap: "vm",
  reverse: "rev",
  helper: "hlp",
};

/** The command line that reproduces a result (the JSON's `command`). */
export function reproducingCommand(result: CensusResult, format?: CensusFormat): string {
  const parts = ["pkslab", "census", "--kernel-src", result.kernelSrc];
  if (result.arch !== "all") parts.push("--arch", result.arch);
  if (format && format !== "table") parts.push("--format", format);
  return commandLine(parts);
}

/** What a census is: counts from a real tree, with pkslab's adoption rules applied. */
export const CENSUS_DISCLAIMER =
  "Counts of call sites in a real Linux source tree (a lexical scan), not model results; the adoption figures apply pkslab's rules for which sites each strategy's API changes.";

/** The provenance of a census (context block and reproduce line). */
export function censusProvenance(result: CensusResult, format: CensusFormat): Provenance {
  return provenance({
    toolVersion: toolVersion(),
    config: {
      kernelSrc: result.kernelSrc,
      arch: result.arch,
      tree: result.tree,
      apis: result.apis,
      countingRules: result.countingRules,
      excludedAreas: result.excludedAreas,
    },
    reproduce: `npx ${reproducingCommand(result, format)}`,
    disclaimer: CENSUS_DISCLAIMER,
  });
}

function censusContext(
  result: CensusResult,
  format: CensusFormat,
  style: ContextStyle,
  part: "head" | "reproduce",
): string[] {
  return renderContext(censusProvenance(result, format), style, part);
}

function treeLabel(result: CensusResult): string {
  return result.tree.release ? `Linux ${result.tree.release}` : "an unidentified tree";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

function summaryLines(result: CensusResult): string[] {
  const s = result.scan;
  return [
    `Census of ${treeLabel(result)} at ${result.kernelSrc} (arch view: ${result.arch}).`,
    `Scanned ${s.filesScanned} files (${megabytes(s.bytesScanned)}) in ${seconds(s.elapsedMs)}; ` +
      `${s.filesWithMatches} files with matches; ${s.symlinksSkipped} symlinks skipped; ` +
      `${s.unreadable.length} unreadable` +
      (s.archDirsSkipped.length ? `; ${s.archDirsSkipped.length} arch dirs left out.` : "."),
    `Headline: ${result.totals.calls} calls in ${result.totals.files} files ` +
      `(${result.excludedAreas.join("/, ")}/ apart: ${result.excludedTotals.calls} calls).`,
  ];
}

interface ApiRow {
  readonly name: string;
  readonly group: CensusApiGroup;
  readonly call: number;
  readonly member: number;
  readonly define: number;
  readonly declaration: number;
  readonly excludedCalls: number;
}

function apiRows(result: CensusResult): ApiRow[] {
  return result.apis.map((api) => ({
    name: api.name,
    group: api.group,
    ...result.totals.byApi[api.name],
    excludedCalls: result.excludedTotals.byApi[api.name].call,
  }));
}

function classTotals(totals: CensusTotals): Record<string, number> {
  const sums: Record<string, number> = { call: 0, member: 0, define: 0, declaration: 0 };
  for (const counts of Object.values(totals.byApi)) {
    for (const cls of MATCH_CLASSES) sums[cls] += counts[cls];
  }
  return sums;
}

function adoptionBreakdown(adoption: CensusAdoptionResult): string {
  const counted = adoption.terms.filter((term) => term.counted);
  if (counted.length === 0) return "nothing to change";
  return counted.map((term) => `${term.sites} ${term.id}`).join(" + ");
}

function adoptionContext(adoption: CensusAdoptionResult): string {
  const context = adoption.terms.filter((term) => !term.counted);
  return context.map((term) => `${term.sites} ${term.id}`).join(", ");
}

function headlineDirs(
  result: CensusResult,
  level: "topLevel" | "secondLevel",
): CensusDirectoryRow[] {
  return result.directories[level].filter((row) => row.area === "kernel");
}

function excludedDirs(result: CensusResult): CensusDirectoryRow[] {
  return result.directories.topLevel.filter((row) => row.area === "excluded");
}

// ---------------------------------------------------------------------------------------
// table

/** A table with rules only under the header (and above a final total row). */
function compactTable(
  rows: (string | number)[][],
  options: { numericFrom?: number; totalRow?: boolean; wrap?: Record<number, number> } = {},
): string {
  const numericFrom = options.numericFrom ?? 1;
  const columns: Record<number, { alignment?: "right"; width?: number; wrapWord?: boolean }> = {};
  rows[0].forEach((_, index) => {
    if (index >= numericFrom) columns[index] = { alignment: "right" };
  });
  for (const [index, width] of Object.entries(options.wrap ?? {})) {
    columns[Number(index)] = { width, wrapWord: true };
  }
  return table(rows, {
    columns,
    drawHorizontalLine: (line, size) =>
      line === 0 || line === 1 || line === size || (options.totalRow === true && line === size - 1),
  });
}

function renderTable(result: CensusResult, options: RenderCensusOptions): string {
  const top = options.topDirectories ?? 25;
  const out: string[] = [
    ...censusContext(result, "table", "text", "head"),
    ...summaryLines(result),
    "",
  ];

  out.push("Matches per API (headline area; calls only count in the totals)");
  const sums = classTotals(result.totals);
  out.push(
    compactTable(
      [
        ["API", "group", "call", "member", "define", "decl/def", "calls in excluded areas"],
        ...apiRows(result).map((row) => [
          row.name,
          GROUP_LABELS[row.group],
          row.call,
          row.member,
          row.define,
          row.declaration,
          row.excludedCalls,
        ]),
        [
          "total",
          "",
          sums.call,
          sums.member,
          sums.define,
          sums.declaration,
          result.excludedTotals.calls,
        ],
      ],
      { numericFrom: 2, totalRow: true },
    ),
  );

  out.push("Adoption: call sites each strategy forces to change");
  out.push(
    compactTable(
      [
        ["strategy", "sites", "counted", "context (not counted)"],
        ...result.adoption.map((row) => [
          row.strategy,
          row.sites,
          adoptionBreakdown(row),
          adoptionContext(row) || "-",
        ]),
      ],
      { numericFrom: 1, wrap: { 2: 40, 3: 36 } },
    ),
  );

  const groupHeader = CENSUS_API_GROUPS.map((group) => GROUP_LABELS[group]);
  const dirRow = (row: CensusDirectoryRow) => [
    row.dir,
    ...CENSUS_API_GROUPS.map((group) => row.byGroup[group]),
    row.calls,
    row.files,
  ];
  out.push("Calls per top-level directory");
  out.push(
    compactTable([
      ["dir", ...groupHeader, "calls", "files"],
      ...headlineDirs(result, "topLevel").map(dirRow),
    ]),
  );
  const second = headlineDirs(result, "secondLevel");
  out.push(
    `Calls per directory one level down (top ${Math.min(top, second.length)} of ${second.length}; all in --format json or csv)`,
  );
  out.push(
    compactTable([["dir", ...groupHeader, "calls", "files"], ...second.slice(0, top).map(dirRow)]),
  );
  const excluded = excludedDirs(result);
  if (excluded.length > 0) {
    out.push("Excluded areas (not in the totals above)");
    out.push(compactTable([["dir", ...groupHeader, "calls", "files"], ...excluded.map(dirRow)]));
  }
  out.push(...unreadableLines(result, 20), "");
  out.push("Counting rules:", ...result.countingRules.map((rule) => `- ${rule}`), "");
  out.push(...censusContext(result, "table", "text", "reproduce"));
  return `${out.join("\n")}\n`;
}

function unreadableLines(result: CensusResult, limit: number): string[] {
  const list = result.scan.unreadable;
  if (list.length === 0) return ["Unreadable entries: none."];
  return [
    `Unreadable entries (${list.length}, not fatal):`,
    ...list.slice(0, limit).map((entry) => `- ${entry.path} (${entry.kind}): ${entry.reason}`),
    ...(list.length > limit ? [`- ... ${list.length - limit} more in --format json`] : []),
  ];
}

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

function renderMarkdown(result: CensusResult, options: RenderCensusOptions): string {
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

// ---------------------------------------------------------------------------------------
// email: plain ASCII, no line over 72 columns

const EMAIL_WIDTH = 72;

/** Word-wraps `text`, keeping its leading spaces on the first line; `indent` starts the others. */
function wrap(text: string, width = EMAIL_WIDTH, indent = ""): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)![0];
  let current = "";
  for (const [index, word] of text.trim().split(/\s+/).filter(Boolean).entries()) {
    if (index === 0) {
      current = `${lead}${word}`;
      continue;
    }
    const candidate = current ? `${current} ${word}` : word;
    if (candidate.length <= width || !current) current = candidate;
    else {
      lines.push(current);
      current = `${indent}${word}`;
    }
  }
  if (current) lines.push(current);
  return lines;
}

function pad(value: string | number, width: number, right = true): string {
  const text = String(value);
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Wraps `text` after a verbatim `prefix`; continuation lines align under the text. */
function hang(prefix: string, text: string, width = EMAIL_WIDTH): string[] {
  const indent = " ".repeat(prefix.length);
  return wrap(text, width - prefix.length).map(
    (line, index) => `${index === 0 ? prefix : indent}${line}`,
  );
}

/** Last resort so that no line exceeds the limit (e.g. a very long path) and all is ASCII. */
function enforceEmail(lines: string[]): string {
  const out: string[] = [];
  for (const raw of lines) {
    let line = raw.replace(/[^\x20-\x7e]/g, "?");
    while (line.length > EMAIL_WIDTH) {
      out.push(`${line.slice(0, EMAIL_WIDTH - 1)}\\`);
      line = `  ${line.slice(EMAIL_WIDTH - 1)}`;
    }
    out.push(line.trimEnd());
  }
  return `${out.join("\n")}\n`;
}

function renderEmail(result: CensusResult, options: RenderCensusOptions): string {
  const top = Math.min(options.topDirectories ?? 15, 15);
  const out: string[] = [...censusContext(result, "email", "email", "head")];
  for (const line of summaryLines(result)) out.push(...wrap(line));
  out.push("");
  out.push("Calls per API (headline area); decl = declaration/definition;");
  out.push("excl = calls in the excluded areas (not in the totals)");
  out.push("");
  out.push(
    `${pad("API", 22, false)} ${pad("calls", 6)} ${pad("member", 6)} ${pad("define", 6)} ${pad("decl", 5)} ${pad("excl", 5)}`,
  );
  for (const row of apiRows(result)) {
    out.push(
      `${pad(row.name, 22, false)} ${pad(row.call, 6)} ${pad(row.member, 6)} ${pad(row.define, 6)} ${pad(row.declaration, 5)} ${pad(row.excludedCalls, 5)}`,
    );
  }
  const sums = classTotals(result.totals);
  out.push(
    `${pad("total", 22, false)} ${pad(sums.call, 6)} ${pad(sums.member, 6)} ${pad(sums.define, 6)} ${pad(sums.declaration, 5)} ${pad(result.excludedTotals.calls, 5)}`,
  );
  out.push("");
  out.push("Adoption: call sites each strategy forces to change");
  out.push("");
  for (const row of result.adoption) {
    out.push(`${pad(row.strategy, 18, false)} ${pad(row.sites, 6)} sites`);
    for (const term of row.terms) {
      const mark = term.counted ? "+" : " ";
      out.push(...hang(`  ${mark} ${pad(term.sites, 5, false)} `, term.label));
    }
  }
  out.push("");
  const header = `${pad("dir", 16, false)}${CENSUS_API_GROUPS.map((group) => pad(GROUP_SHORT[group], 6)).join("")} ${pad("calls", 6)}`;
  const dirLine = (row: CensusDirectoryRow) =>
    `${pad(row.dir.length > 16 ? `${row.dir.slice(0, 15)}~` : row.dir, 16, false)}${CENSUS_API_GROUPS.map((group) => pad(row.byGroup[group], 6)).join("")} ${pad(row.calls, 6)}`;
  out.push("Calls per top-level directory");
  out.push(header);
  for (const row of headlineDirs(result, "topLevel")) out.push(dirLine(row));
  out.push("");
  const second = headlineDirs(result, "secondLevel");
  out.push(`Top ${Math.min(top, second.length)} of ${second.length} directories one level down`);
  out.push(header);
  for (const row of second.slice(0, top)) out.push(dirLine(row));
  out.push("");
  out.push("Legend:");
  out.push("  km = kmap/kunmap, kma = kmap_atomic family, kml = kmap_local");
  out.push("  family, dm = page_address/folio_address/lowmem_page_address,");
  out.push("  vm = vmap/vunmap/vm_map_ram/vm_unmap_ram, rev = kmap_to_page,");
  out.push("  hlp = helpers that map internally (memcpy_to_page, zero_user...).");
  out.push("  Adoption: '+' terms add up to the strategy's number; unmarked");
  out.push("  terms are context and are not counted.");
  out.push("");
  out.push("Counting rules:");
  for (const rule of result.countingRules) out.push(...wrap(`- ${rule}`, EMAIL_WIDTH, "  "));
  out.push("");
  out.push(...unreadableLines(result, 10).flatMap((line) => wrap(line, EMAIL_WIDTH, "  ")));
  out.push("");
  out.push(...censusContext(result, "email", "email", "reproduce"));
  return enforceEmail(out);
}

// ---------------------------------------------------------------------------------------
// csv: one row per file with at least one match

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function renderCsv(result: CensusResult): string {
  const apis = result.apis.map((api) => api.name);
  const header = [
    "path",
    "area",
    "dir1",
    "dir2",
    "calls",
    "member",
    "define",
    "declaration",
    ...apis,
  ];
  const lines = [
    ...censusContext(result, "csv", "csv", "head"),
    ...censusContext(result, "csv", "csv", "reproduce"),
    header.join(","),
  ];
  for (const file of result.files) {
    lines.push(
      [
        file.path,
        file.area,
        file.dir1,
        file.dir2,
        file.totals.call,
        file.totals.member,
        file.totals.define,
        file.totals.declaration,
        ...apis.map((api) => file.byApi[api]?.call ?? 0),
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------
// json

/** The JSON document (schemaVersion 1). */
export function censusJson(result: CensusResult, options: RenderCensusOptions = {}): unknown {
  return {
    schemaVersion: result.schemaVersion,
    tool: "pkslab census",
    context: censusProvenance(result, "json"),
    command: reproducingCommand(result, "json"),
    tree: { path: result.kernelSrc, ...result.tree },
    arch: result.arch,
    countingRules: result.countingRules,
    excludedAreas: result.excludedAreas,
    apis: result.apis,
    scan: {
      filesScanned: result.scan.filesScanned,
      bytesScanned: result.scan.bytesScanned,
      filesWithMatches: result.scan.filesWithMatches,
      directoriesVisited: result.scan.directoriesVisited,
      symlinksSkipped: result.scan.symlinksSkipped,
      symlinkPaths: result.scan.symlinkPaths,
      archDirsSkipped: result.scan.archDirsSkipped,
      largestFile: result.scan.largestFile,
      elapsedMs: Math.round(result.scan.elapsedMs),
    },
    unreadable: result.scan.unreadable,
    totals: result.totals,
    excludedTotals: result.excludedTotals,
    directories: result.directories,
    files: result.files,
    adoption: result.adoption,
    ...(options.sites ? { sites: result.sites } : {}),
  };
}

/** Renders a census result in one of CENSUS_FORMATS. */
export function renderCensus(
  result: CensusResult,
  format: CensusFormat,
  options: RenderCensusOptions = {},
): string {
  switch (format) {
    case "table":
      return renderTable(result, options);
    case "markdown":
      return renderMarkdown(result, options);
    case "email":
      return renderEmail(result, options);
    case "csv":
      return renderCsv(result);
    case "json":
      return `${JSON.stringify(censusJson(result, options), null, 2)}\n`;
  }
}
