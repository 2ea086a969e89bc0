import { table } from "table";
import type { CensusResult } from "./census.ts";
import { renderEmail } from "./render-email.ts";
import { renderMarkdown } from "./render-markdown.ts";
import {
  adoptionTable,
  apiTable,
  type CensusFormat,
  censusContext,
  censusProvenance,
  directoryTable,
  excludedDirs,
  headlineDirs,
  type RenderCensusOptions,
  reproducingCommand,
  summaryLines,
  unreadableLines,
} from "./report.ts";

/** A name as the table format writes it: as is. */
const asIs = (name: string) => name;

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
  out.push(compactTable(apiTable(result, asIs, "total"), { numericFrom: 2, totalRow: true }));

  out.push("Adoption: call sites each strategy forces to change");
  out.push(compactTable(adoptionTable(result, asIs), { numericFrom: 1, wrap: { 2: 40, 3: 36 } }));

  out.push("Calls per top-level directory");
  out.push(compactTable(directoryTable(headlineDirs(result, "topLevel"), asIs)));
  const second = headlineDirs(result, "secondLevel");
  out.push(
    `Calls per directory one level down (top ${Math.min(top, second.length)} of ${second.length}; all in --format json or csv)`,
  );
  out.push(compactTable(directoryTable(second.slice(0, top), asIs)));
  const excluded = excludedDirs(result);
  if (excluded.length > 0) {
    out.push("Excluded areas (not in the totals above)");
    out.push(compactTable(directoryTable(excluded, asIs)));
  }
  out.push(...unreadableLines(result, 20), "");
  out.push("Counting rules:", ...result.countingRules.map((rule) => `- ${rule}`), "");
  out.push(...censusContext(result, "table", "text", "reproduce"));
  return `${out.join("\n")}\n`;
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

/** One exporter per census format, each given the result and the render options. */
const CENSUS_RENDERERS: Readonly<
  Record<CensusFormat, (result: CensusResult, options: RenderCensusOptions) => string>
> = {
  table: renderTable,
  markdown: renderMarkdown,
  email: renderEmail,
  csv: renderCsv,
  json: (result, options) => `${JSON.stringify(censusJson(result, options), null, 2)}\n`,
};

/** Renders a census result in one of CENSUS_FORMATS. */
export function renderCensus(
  result: CensusResult,
  format: CensusFormat,
  options: RenderCensusOptions = {},
): string {
  return CENSUS_RENDERERS[format](result, options);
}
