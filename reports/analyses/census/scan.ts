/**
 * The kernel call-site census's walker: reads a Linux source tree (skipping the excluded
 * areas, counting what it cannot read) and hands each candidate file to the lexer
 * (lexer.ts), which blanks C comments and string/character literals, matches the mapping
 * APIs of the catalog (catalog.ts) and classifies every match.
 *
 * Design notes (speed): files are read as Buffers and decoded as latin1, which is a plain
 * byte copy and never fails on non-UTF-8 bytes. A file is first tested with the API
 * pattern itself; only files that can contain a match are blanked and classified, so the
 * huge generated headers cost one regex pass. Line numbers and enclosing functions are
 * computed only for files with matches.
 */
import {
  closeSync,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { withRoom } from "../../../core/read-buffer.ts";
import { EXCLUDED_AREAS, type MatchClass } from "./catalog.ts";
import { scanSource } from "./lexer.ts";

export interface ClassCounts {
  call: number;
  member: number;
  define: number;
  declaration: number;
}

export interface CensusSite {
  readonly path: string;
  readonly line: number;
  readonly api: string;
  readonly class: MatchClass;
  /** Name of the enclosing top-level brace block's function, or null outside any function. */
  readonly function: string | null;
}

export interface CensusFileRow {
  readonly path: string;
  /** "kernel" counts in the headline totals; "excluded" is one of EXCLUDED_AREAS. */
  readonly area: "kernel" | "excluded";
  readonly dir1: string;
  readonly dir2: string;
  /** Per-API counts, only APIs with at least one match of any class. */
  readonly byApi: Readonly<Record<string, ClassCounts>>;
  readonly totals: ClassCounts;
}

export interface UnreadableEntry {
  readonly path: string;
  readonly kind: "file" | "directory";
  readonly reason: string;
}

export interface ScanStats {
  filesScanned: number;
  bytesScanned: number;
  filesWithMatches: number;
  directoriesVisited: number;
  /** Symbolic links met during the walk (never followed). */
  symlinksSkipped: number;
  symlinkPaths: string[];
  /** arch/<name> directories left out by the --arch view. */
  archDirsSkipped: string[];
  unreadable: UnreadableEntry[];
  largestFile: { path: string; bytes: number } | null;
  elapsedMs: number;
}

export interface ScanOptions {
  /** Root of the kernel tree. */
  readonly kernelSrc: string;
  /** "all" (default) or the name of one arch/ directory: the other arch/* are not walked. */
  readonly arch?: string;
}

export interface ScanResult {
  readonly root: string;
  readonly arch: string;
  readonly files: CensusFileRow[];
  readonly sites: CensusSite[];
  readonly stats: ScanStats;
}

/**
 * One read buffer reused for every file: reading 1.2 GB of kernel source into fresh
 * Buffers costs more in page faults than in copying.
 */
let readBuffer = Buffer.allocUnsafe(4 << 20);

/** Reads a whole file into the shared buffer and returns it decoded as latin1. */
function readSource(full: string): string {
  const fd = openSync(full, "r");
  try {
    // Room for the whole file and one byte more, so that its end is seen in one read.
    readBuffer = withRoom(readBuffer, 0, fstatSync(fd).size + 1);
    let length = 0;
    for (;;) {
      readBuffer = withRoom(readBuffer, length);
      const read = readSync(fd, readBuffer, length, readBuffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return readBuffer.toString("latin1", 0, length);
  } finally {
    closeSync(fd);
  }
}

function emptyCounts(): ClassCounts {
  return { call: 0, member: 0, define: 0, declaration: 0 };
}

function hasScannedExtension(name: string): boolean {
  return name.endsWith(".c") || name.endsWith(".h") || name.endsWith(".S");
}

function errorReason(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    const message = "message" in error && typeof error.message === "string" ? error.message : "";
    return `${error.code}${message ? `: ${message.replace(/^[A-Z]+: /, "")}` : ""}`;
  }
  return String(error);
}

function direntKind(entry: Dirent): string {
  if (entry.isFIFO()) return "a FIFO";
  if (entry.isSocket()) return "a socket";
  if (entry.isCharacterDevice()) return "a character device";
  if (entry.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/** Lists the arch/ directories of a tree (the valid --arch values besides "all"). */
export function listArchitectures(kernelSrc: string): string[] {
  try {
    return readdirSync(join(kernelSrc, "arch"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Directory keys for a relative path: top level and one level down. Files directly in a
 * top-level directory get the second-level key "<dir>/(top)".
 */
export function directoryKeys(path: string): { dir1: string; dir2: string } {
  const parts = path.split("/");
  if (parts.length === 1) return { dir1: ".", dir2: "." };
  const dir1 = parts[0];
  const dir2 = parts.length >= 3 ? `${parts[0]}/${parts[1]}` : `${parts[0]}/(top)`;
  return { dir1, dir2 };
}

/**
 * Walks the tree (depth-first, names sorted, symlinks never followed) and scans every
 * *.c, *.h and *.S file.
 */
export function scanTree(options: ScanOptions): ScanResult {
  const started = performance.now();
  const root = resolve(options.kernelSrc);
  const arch = options.arch ?? "all";
  const stats: ScanStats = {
    filesScanned: 0,
    bytesScanned: 0,
    filesWithMatches: 0,
    directoriesVisited: 0,
    symlinksSkipped: 0,
    symlinkPaths: [],
    archDirsSkipped: [],
    unreadable: [],
    largestFile: null,
    elapsedMs: 0,
  };
  const files: CensusFileRow[] = [];
  const sites: CensusSite[] = [];

  const rootStat = lstatSync(root);
  if (!rootStat.isDirectory()) throw new Error(`${root} is not a directory`);

  const scanFile = (relative: string, full: string): void => {
    let source: string;
    try {
      source = readSource(full);
    } catch (error) {
      stats.unreadable.push({ path: relative, kind: "file", reason: errorReason(error) });
      return;
    }
    stats.filesScanned++;
    stats.bytesScanned += source.length;
    if (stats.largestFile === null || source.length > stats.largestFile.bytes) {
      stats.largestFile = { path: relative, bytes: source.length };
    }
    const matches = scanSource(source);
    if (matches.length === 0) return;
    stats.filesWithMatches++;
    const { dir1, dir2 } = directoryKeys(relative);
    const byApi: Record<string, ClassCounts> = {};
    const totals = emptyCounts();
    for (const match of matches) {
      byApi[match.api] ??= emptyCounts();
      byApi[match.api][match.class]++;
      totals[match.class]++;
      sites.push({
        path: relative,
        line: match.line,
        api: match.api,
        class: match.class,
        function: match.function,
      });
    }
    files.push({
      path: relative,
      area: EXCLUDED_AREAS.includes(dir1) ? "excluded" : "kernel",
      dir1,
      dir2,
      byApi,
      totals,
    });
  };

  const walk = (relative: string): void => {
    const full = relative === "" ? root : join(root, relative);
    let entries: Dirent[];
    try {
      entries = readdirSync(full, { withFileTypes: true });
    } catch (error) {
      stats.unreadable.push({
        path: relative || ".",
        kind: "directory",
        reason: errorReason(error),
      });
      return;
    }
    stats.directoriesVisited++;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childRelative = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        stats.symlinksSkipped++;
        stats.symlinkPaths.push(childRelative);
      } else if (entry.isDirectory()) {
        if (relative === "arch" && arch !== "all" && entry.name !== arch) {
          stats.archDirsSkipped.push(childRelative);
          continue;
        }
        walk(childRelative);
      } else if (hasScannedExtension(entry.name)) {
        if (entry.isFile()) scanFile(childRelative, join(full, entry.name));
        else {
          stats.unreadable.push({
            path: childRelative,
            kind: "file",
            reason: `${direntKind(entry)}, not read`,
          });
        }
      }
    }
  };

  walk("");
  stats.elapsedMs = performance.now() - started;
  return { root, arch, files, sites, stats };
}
