/**
 * What every census format shows: the formats, the API family labels, the provenance and
 * context block, the summary lines, the per-API and per-class rows, the adoption breakdown
 * and the directory lists. The formats lay these out (render.ts, render-markdown.ts,
 * render-email.ts).
 */

import {
  analysisProvenance,
  type ContextStyle,
  type Provenance,
  renderContext,
  reproduceCommand,
} from "../../results/provenance.ts";
import { TABULAR_REPORT_FORMATS, type TabularReportFormat } from "../report-formats.ts";
import type { CensusAdoptionResult } from "./adoption.ts";
import { CENSUS_API_GROUPS, type CensusApiGroup, MATCH_CLASSES } from "./catalog.ts";
import type { CensusDirectoryRow, CensusResult, CensusTotals } from "./census.ts";

export const CENSUS_FORMATS = TABULAR_REPORT_FORMATS;

export type CensusFormat = TabularReportFormat;

export interface RenderCensusOptions {
  /** json only: include every match (path, line, api, class, function). */
  readonly sites?: boolean;
  /** How many second-level directories the human formats list (default 25). */
  readonly topDirectories?: number;
}

export const GROUP_LABELS: Record<CensusApiGroup, string> = {
  kmap: "kmap",
  kmap_atomic: "kmap_atomic",
  kmap_local: "kmap_local",
  "direct-map": "direct-map",
  vmap: "vmap",
  reverse: "reverse",
  helper: "helpers",
};

/** Short column names for the 72-column email. */
export const GROUP_SHORT: Record<CensusApiGroup, string> = {
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
  return reproduceCommand(parts, format);
}

/** What a census is: counts from a real tree, with pkslab's adoption rules applied. */
export const CENSUS_DISCLAIMER =
  "Counts of call sites in a real Linux source tree (a lexical scan), not model results; the adoption figures apply pkslab's rules for which sites each strategy's API changes.";

/** The provenance of a census (context block and reproduce line). */
export function censusProvenance(result: CensusResult, format: CensusFormat): Provenance {
  return analysisProvenance({
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

export function censusContext(
  result: CensusResult,
  format: CensusFormat,
  style: ContextStyle,
  part: "head" | "reproduce",
): string[] {
  return renderContext(censusProvenance(result, format), style, part);
}

export function treeLabel(result: CensusResult): string {
  return result.tree.release ? `Linux ${result.tree.release}` : "an unidentified tree";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

export function summaryLines(result: CensusResult): string[] {
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

export function apiRows(result: CensusResult): ApiRow[] {
  return result.apis.map((api) => ({
    name: api.name,
    group: api.group,
    ...result.totals.byApi[api.name],
    excludedCalls: result.excludedTotals.byApi[api.name].call,
  }));
}

export function classTotals(totals: CensusTotals): Record<string, number> {
  const sums: Record<string, number> = { call: 0, member: 0, define: 0, declaration: 0 };
  for (const counts of Object.values(totals.byApi)) {
    for (const cls of MATCH_CLASSES) sums[cls] += counts[cls];
  }
  return sums;
}

/** A table as the table and markdown formats lay it out: the header row, then the rows. */
export type CensusTable = (string | number)[][];

/** How a format writes a name (an API, a strategy, a directory) in a table cell. */
export type NameCell = (name: string) => string;

/** The per-API table (headline area, with the calls in excluded areas), and its total row. */
export function apiTable(result: CensusResult, name: NameCell, total: string): CensusTable {
  const sums = classTotals(result.totals);
  return [
    ["API", "group", "call", "member", "define", "decl/def", "calls in excluded areas"],
    ...apiRows(result).map((row) => [
      name(row.name),
      GROUP_LABELS[row.group],
      row.call,
      row.member,
      row.define,
      row.declaration,
      row.excludedCalls,
    ]),
    [total, "", sums.call, sums.member, sums.define, sums.declaration, result.excludedTotals.calls],
  ];
}

/** The adoption table: per strategy the sites, what counts and the context. */
export function adoptionTable(result: CensusResult, name: NameCell): CensusTable {
  return [
    ["strategy", "sites", "counted", "context (not counted)"],
    ...result.adoption.map((row) => [
      name(row.strategy),
      row.sites,
      adoptionBreakdown(row),
      adoptionContext(row) || "-",
    ]),
  ];
}

/** A directory table: per directory the calls of each API group, the calls and the files. */
export function directoryTable(rows: readonly CensusDirectoryRow[], name: NameCell): CensusTable {
  return [
    ["dir", ...CENSUS_API_GROUPS.map((group) => GROUP_LABELS[group]), "calls", "files"],
    ...rows.map((row) => [
      name(row.dir),
      ...CENSUS_API_GROUPS.map((group) => row.byGroup[group]),
      row.calls,
      row.files,
    ]),
  ];
}

export function adoptionBreakdown(adoption: CensusAdoptionResult): string {
  const counted = adoption.terms.filter((term) => term.counted);
  if (counted.length === 0) return "nothing to change";
  return counted.map((term) => `${term.sites} ${term.id}`).join(" + ");
}

export function adoptionContext(adoption: CensusAdoptionResult): string {
  const context = adoption.terms.filter((term) => !term.counted);
  return context.map((term) => `${term.sites} ${term.id}`).join(", ");
}

export function headlineDirs(
  result: CensusResult,
  level: "topLevel" | "secondLevel",
): CensusDirectoryRow[] {
  return result.directories[level].filter((row) => row.area === "kernel");
}

export function excludedDirs(result: CensusResult): CensusDirectoryRow[] {
  return result.directories.topLevel.filter((row) => row.area === "excluded");
}

// ---------------------------------------------------------------------------------------
// table

/** A table with rules only under the header (and above a final total row). */

export function unreadableLines(result: CensusResult, limit: number): string[] {
  const list = result.scan.unreadable;
  if (list.length === 0) return ["Unreadable entries: none."];
  return [
    `Unreadable entries (${list.length}, not fatal):`,
    ...list.slice(0, limit).map((entry) => `- ${entry.path} (${entry.kind}): ${entry.reason}`),
    ...(list.length > limit ? [`- ... ${list.length - limit} more in --format json`] : []),
  ];
}
