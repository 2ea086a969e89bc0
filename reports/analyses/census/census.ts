/**
 * `runCensus`: scans a tree and aggregates the matches into the census result that every
 * renderer (and `pkslab compare --census`) reads.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BUILTIN_ADOPTION_RULES,
  type CensusAdoptionResult,
  type CensusAdoptionRule,
  computeAdoption,
} from "./adoption.ts";
import {
  CENSUS_API_GROUPS,
  CENSUS_APIS,
  type CensusApi,
  type CensusApiGroup,
  COUNTING_RULES,
  EXCLUDED_AREAS,
} from "./catalog.ts";
import {
  type CensusFileRow,
  type CensusSite,
  type ClassCounts,
  type ScanStats,
  scanTree,
} from "./scan.ts";

export const CENSUS_SCHEMA_VERSION = 1;

export interface CensusOptions {
  /** Root of the Linux tree. */
  readonly kernelSrc: string;
  /** "all" (default) or one arch/ directory name. */
  readonly arch?: string;
  /** Adoption rules; default: the built-in ones. */
  readonly rules?: readonly CensusAdoptionRule[];
}

/** Identity of the scanned tree, from its top-level Makefile. */
export interface TreeIdentity {
  /** "6.1.176", or null when the Makefile has no VERSION/PATCHLEVEL. */
  readonly release: string | null;
  readonly version: string | null;
  readonly patchlevel: string | null;
  readonly sublevel: string | null;
  readonly extraversion: string | null;
  readonly name: string | null;
}

/** Match counts over a set of files; `PerApi` is what each API's entry holds. */
interface CensusCounts<PerApi> {
  /** Call matches (the headline number). */
  readonly calls: number;
  readonly byApi: Readonly<Record<string, PerApi>>;
  /** Call matches per API group. */
  readonly byGroup: Readonly<Record<CensusApiGroup, number>>;
  /** Files with at least one match of any class (a directory row: at least one call). */
  readonly files: number;
}

/** Totals over an area: each API's matches by class. */
export type CensusTotals = CensusCounts<ClassCounts>;

/** A directory's counts: each API's call matches (nonzero only). */
export interface CensusDirectoryRow extends CensusCounts<number> {
  readonly dir: string;
  readonly area: "kernel" | "excluded";
}

export interface CensusResult {
  readonly schemaVersion: number;
  /** Absolute path of the scanned tree. */
  readonly kernelSrc: string;
  readonly arch: string;
  readonly tree: TreeIdentity;
  readonly apis: readonly CensusApi[];
  readonly countingRules: readonly string[];
  readonly excludedAreas: readonly string[];
  readonly scan: ScanStats;
  /** Headline totals: files outside the excluded areas. */
  readonly totals: CensusTotals;
  /** The excluded areas (Documentation/, tools/, ...), reported apart. */
  readonly excludedTotals: CensusTotals;
  readonly directories: {
    readonly topLevel: readonly CensusDirectoryRow[];
    readonly secondLevel: readonly CensusDirectoryRow[];
  };
  /** One row per file with at least one match, sorted by path. */
  readonly files: readonly CensusFileRow[];
  /** Every match, in file order. */
  readonly sites: readonly CensusSite[];
  readonly adoption: readonly CensusAdoptionResult[];
}

const GROUP_OF = new Map(CENSUS_APIS.map((api) => [api.name, api.group]));

function emptyCounts(): ClassCounts {
  return { call: 0, member: 0, define: 0, declaration: 0 };
}

function emptyGroups(): Record<CensusApiGroup, number> {
  const groups = {} as Record<CensusApiGroup, number>;
  for (const group of CENSUS_API_GROUPS) groups[group] = 0;
  return groups;
}

/** Reads VERSION, PATCHLEVEL, SUBLEVEL, EXTRAVERSION and NAME from the top-level Makefile. */
export function readTreeIdentity(kernelSrc: string): TreeIdentity {
  let head = "";
  try {
    head = readFileSync(join(kernelSrc, "Makefile"), "latin1").slice(0, 4096);
  } catch {
    // not a kernel tree, or no Makefile: the identity stays unknown
  }
  const field = (key: string): string | null => {
    const match = new RegExp(`^${key}\\s*=[ \\t]*(.*?)\\s*$`, "m").exec(head);
    return match ? match[1] : null;
  };
  const version = field("VERSION");
  const patchlevel = field("PATCHLEVEL");
  const sublevel = field("SUBLEVEL");
  const extraversion = field("EXTRAVERSION");
  const release =
    version && patchlevel
      ? `${version}.${patchlevel}${sublevel ? `.${sublevel}` : ""}${extraversion ?? ""}`
      : null;
  return { release, version, patchlevel, sublevel, extraversion, name: field("NAME") };
}

function totalsOf(files: readonly CensusFileRow[]): CensusTotals {
  const byApi: Record<string, ClassCounts> = {};
  for (const api of CENSUS_APIS) byApi[api.name] = emptyCounts();
  const byGroup = emptyGroups();
  let calls = 0;
  for (const file of files) {
    for (const [api, counts] of Object.entries(file.byApi)) {
      const target = byApi[api];
      target.call += counts.call;
      target.member += counts.member;
      target.define += counts.define;
      target.declaration += counts.declaration;
      byGroup[GROUP_OF.get(api)!] += counts.call;
      calls += counts.call;
    }
  }
  return { calls, byApi, byGroup, files: files.length };
}

function directoryRows(
  files: readonly CensusFileRow[],
  key: (file: CensusFileRow) => string,
): CensusDirectoryRow[] {
  const rows = new Map<
    string,
    {
      area: "kernel" | "excluded";
      calls: number;
      byApi: Record<string, number>;
      byGroup: Record<CensusApiGroup, number>;
      files: number;
    }
  >();
  for (const file of files) {
    if (file.totals.call === 0) continue;
    const dir = key(file);
    let row = rows.get(dir);
    if (!row) {
      row = { area: file.area, calls: 0, byApi: {}, byGroup: emptyGroups(), files: 0 };
      rows.set(dir, row);
    }
    row.files++;
    for (const [api, counts] of Object.entries(file.byApi)) {
      if (counts.call === 0) continue;
      row.calls += counts.call;
      row.byApi[api] = (row.byApi[api] ?? 0) + counts.call;
      row.byGroup[GROUP_OF.get(api)!] += counts.call;
    }
  }
  return [...rows.entries()]
    .map(([dir, row]) => ({ dir, ...row }))
    .sort((a, b) => b.calls - a.calls || (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

/**
 * Scans the tree and builds the census. Reads the file system; writes nothing and prints
 * nothing. Throws if `kernelSrc` is not a directory (the command validates first).
 */
export function runCensus(options: CensusOptions): CensusResult {
  const scan = scanTree({ kernelSrc: options.kernelSrc, arch: options.arch ?? "all" });
  const headlineFiles = scan.files.filter((file) => file.area === "kernel");
  const excludedFiles = scan.files.filter((file) => file.area === "excluded");
  return {
    schemaVersion: CENSUS_SCHEMA_VERSION,
    kernelSrc: scan.root,
    arch: scan.arch,
    tree: readTreeIdentity(scan.root),
    apis: CENSUS_APIS,
    countingRules: COUNTING_RULES,
    excludedAreas: EXCLUDED_AREAS,
    scan: scan.stats,
    totals: totalsOf(headlineFiles),
    excludedTotals: totalsOf(excludedFiles),
    directories: {
      topLevel: directoryRows(scan.files, (file) => file.dir1),
      secondLevel: directoryRows(scan.files, (file) => file.dir2),
    },
    files: scan.files,
    sites: scan.sites,
    adoption: computeAdoption(scan.sites, scan.files, options.rules ?? BUILTIN_ADOPTION_RULES),
  };
}
