/**
 * The kernel call-site census scanner: walks a Linux source tree, blanks C comments and
 * string/character literals, matches the mapping APIs and classifies every match.
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

/** The API families the census reports on. */
export type CensusApiGroup =
  | "kmap"
  | "kmap_atomic"
  | "kmap_local"
  | "direct-map"
  | "vmap"
  | "reverse"
  | "helper";

export interface CensusApi {
  readonly name: string;
  readonly group: CensusApiGroup;
}

/** Every API the census matches, in report order. */
export const CENSUS_APIS: readonly CensusApi[] = [
  { name: "kmap", group: "kmap" },
  { name: "kunmap", group: "kmap" },
  { name: "kmap_atomic", group: "kmap_atomic" },
  { name: "kmap_atomic_prot", group: "kmap_atomic" },
  { name: "kmap_atomic_pfn", group: "kmap_atomic" },
  { name: "kunmap_atomic", group: "kmap_atomic" },
  { name: "kmap_local_page", group: "kmap_local" },
  { name: "kmap_local_folio", group: "kmap_local" },
  { name: "kmap_local_page_prot", group: "kmap_local" },
  { name: "kmap_local_pfn", group: "kmap_local" },
  { name: "kunmap_local", group: "kmap_local" },
  { name: "page_address", group: "direct-map" },
  { name: "folio_address", group: "direct-map" },
  { name: "lowmem_page_address", group: "direct-map" },
  { name: "vmap", group: "vmap" },
  { name: "vunmap", group: "vmap" },
  { name: "vm_map_ram", group: "vmap" },
  { name: "vm_unmap_ram", group: "vmap" },
  { name: "kmap_to_page", group: "reverse" },
  { name: "memcpy_page", group: "helper" },
  { name: "memmove_page", group: "helper" },
  { name: "memset_page", group: "helper" },
  { name: "memcpy_from_page", group: "helper" },
  { name: "memcpy_to_page", group: "helper" },
  { name: "memzero_page", group: "helper" },
  { name: "zero_user", group: "helper" },
  { name: "zero_user_segment", group: "helper" },
  { name: "zero_user_segments", group: "helper" },
  { name: "folio_zero_range", group: "helper" },
  { name: "folio_zero_segment", group: "helper" },
  { name: "folio_zero_segments", group: "helper" },
  { name: "copy_highpage", group: "helper" },
  { name: "copy_user_highpage", group: "helper" },
  { name: "copy_mc_user_highpage", group: "helper" },
  { name: "clear_highpage", group: "helper" },
  { name: "clear_user_highpage", group: "helper" },
  { name: "bvec_kmap_local", group: "helper" },
  { name: "memcpy_from_bvec", group: "helper" },
  { name: "memcpy_to_bvec", group: "helper" },
  { name: "memzero_bvec", group: "helper" },
];

export const CENSUS_API_GROUPS: readonly CensusApiGroup[] = [
  "kmap",
  "kmap_atomic",
  "kmap_local",
  "direct-map",
  "vmap",
  "reverse",
  "helper",
];

/** What a match is. Only `call` counts in the headline totals. */
export type MatchClass = "call" | "member" | "define" | "declaration";
export const MATCH_CLASSES: readonly MatchClass[] = ["call", "member", "define", "declaration"];

/** Top-level directories that are scanned but reported apart from the headline totals. */
export const EXCLUDED_AREAS: readonly string[] = [
  "Documentation",
  "tools",
  "scripts",
  "samples",
  "usr",
];

/** File name endings that are scanned. */
export const SCANNED_EXTENSIONS: readonly string[] = [".c", ".h", ".S"];

/** The counting rules, printed in every human-readable output and in the JSON. */
export const COUNTING_RULES: readonly string[] = [
  "Files: *.c, *.h and *.S under the tree; symbolic links are never followed (counted as skipped); unreadable entries are listed and the scan goes on.",
  "Documentation/, tools/, scripts/, samples/ and usr/ are scanned but reported apart and left out of the headline totals.",
  "C comments (/* */ and //) and string and character literals are blanked before matching; line numbers are kept. Preprocessor conditionals are not evaluated (#if 0 code counts).",
  "A match is NAME followed by optional whitespace and '(' with a word boundary before NAME (so lowmem_page_address( is not page_address(). Matches are counted, not lines.",
  "member: preceded by '->' or '.' (an ops-table callback that shares the name, e.g. ->vmap().",
  "define: '#define NAME(' (the API's own function-like macro).",
  "declaration: a prototype or the function's own definition: NAME preceded by a type (an identifier that is not return/else/do/case/sizeof/typeof, or a '*' after one), even across lines.",
  "call: every other match, including calls written inside macro bodies (counted once, where written). Headline totals count calls only.",
  "Implicit direct-map users (virt_to_page(), __va(), page_to_virt(), phys_to_virt(), plain pointers into lowmem) exist and are not counted.",
];

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

const API_INDEX = new Map(CENSUS_APIS.map((api, index) => [api.name, index]));

/** Longest names first, so the alternation never stops at a shorter prefix. */
const API_ALTERNATION = [...CENSUS_APIS]
  .map((api) => api.name)
  .sort((a, b) => b.length - a.length || a.localeCompare(b))
  .join("|");

/** The one precompiled pattern: `\bNAME\s*\(`. */
const API_PATTERN = new RegExp(`\\b(${API_ALTERNATION})\\s*\\(`, "g");
const API_PREFILTER = new RegExp(`\\b(?:${API_ALTERNATION})\\s*\\(`);

/**
 * Comments and literals, in one pass. Leftmost-first matching makes a quote inside a
 * comment part of the comment and a comment opener inside a string part of the string.
 * `//` comments continue over backslash-newline; unterminated literals stop at the end of
 * the line (assembler comments such as `# don't` only blank the rest of their line).
 */
const BLANKABLE =
  /\/\*[\s\S]*?(?:\*\/|$)|\/\/(?:[^\n\\]|\\[\s\S])*|"(?:[^"\\\n]|\\[\s\S])*"?|'(?:[^'\\\n]|\\[\s\S])*'?/g;

const NOT_NEWLINE = /[^\n]/g;

function blankOut(token: string): string {
  return token.includes("\n") ? token.replace(NOT_NEWLINE, " ") : " ".repeat(token.length);
}

/** Replaces comments and string/character literals by spaces, keeping every newline. */
export function blankCommentsAndLiterals(source: string): string {
  return source.replace(BLANKABLE, blankOut);
}

/** Keywords that may stand directly before a call expression. */
const EXPRESSION_KEYWORDS = new Set([
  "return",
  "else",
  "do",
  "case",
  "sizeof",
  "typeof",
  "__typeof__",
  "__typeof",
  "goto",
]);

function isSpace(code: number): boolean {
  // space, \t, \n, \v, \f, \r, and the backslash of a line continuation
  return code === 32 || (code >= 9 && code <= 13) || code === 92;
}

function isIdentChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 36
  );
}

function skipSpaceBack(text: string, from: number): number {
  let i = from;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  return i;
}

/** Skips horizontal space only (a preprocessor directive stays on its line). */
function skipLineSpaceBack(text: string, from: number): number {
  let i = from;
  while (i >= 0) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 9) i--;
    else break;
  }
  return i;
}

/** The identifier ending at `end` (inclusive), and the index just before it. */
function identifierBack(text: string, end: number): { word: string; before: number } {
  let i = end;
  while (i >= 0 && isIdentChar(text.charCodeAt(i))) i--;
  return { word: text.slice(i + 1, end + 1), before: i };
}

/** True when a newline at `at` is escaped by a backslash (a continuation line). */
function isEscapedNewline(text: string, at: number): boolean {
  let j = at - 1;
  if (j >= 0 && text.charCodeAt(j) === 13) j--;
  return j >= 0 && text.charCodeAt(j) === 92;
}

/** Start of the logical line (continuations joined) that holds index `p`. */
function logicalLineStart(text: string, p: number): number {
  let lineStart = text.lastIndexOf("\n", p) + 1;
  while (lineStart > 0 && isEscapedNewline(text, lineStart - 1)) {
    lineStart = text.lastIndexOf("\n", lineStart - 2) + 1;
  }
  return lineStart;
}

/**
 * True when `p` is on a preprocessor directive line and an unescaped newline separates it
 * from `start`.
 */
function endsDirectiveBefore(text: string, p: number, start: number): boolean {
  let crossed = false;
  for (let i = text.indexOf("\n", p + 1); i !== -1 && i < start; i = text.indexOf("\n", i + 1)) {
    if (!isEscapedNewline(text, i)) {
      crossed = true;
      break;
    }
  }
  if (!crossed) return false;
  let i = logicalLineStart(text, p);
  while (i < p && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return text.charCodeAt(i) === 35; // '#'
}

/** True when the identifier ending before `before` is the `define` of a `#define`. */
function isHashDefine(text: string, before: number): boolean {
  const i = skipLineSpaceBack(text, before);
  if (i < 5) return false;
  const { word, before: b } = identifierBack(text, i);
  if (word !== "define") return false;
  const j = skipLineSpaceBack(text, b);
  return j >= 0 && text.charCodeAt(j) === 35; // '#'
}

/**
 * Classifies the match of an API name starting at `start` in blanked text.
 * See COUNTING_RULES for the rules in words.
 */
export function classifyAt(text: string, start: number): MatchClass {
  const p = skipSpaceBack(text, start - 1);
  if (p < 0) return "call";
  // The token before is the end of a preprocessor directive (`#endif`, `#ifdef X`): the
  // match starts a new statement.
  if (endsDirectiveBefore(text, p, start)) return "call";
  const code = text.charCodeAt(p);
  // member: `->name(` or `.name(`
  if (code === 46) return "member"; // '.'
  if (code === 62 && p > 0 && text.charCodeAt(p - 1) === 45) return "member"; // '->'
  if (isIdentChar(code)) {
    const { word, before } = identifierBack(text, p);
    if (/^[0-9]/.test(word)) return "call";
    if (word === "define") {
      const j = skipLineSpaceBack(text, before);
      if (j >= 0 && text.charCodeAt(j) === 35) return "define";
    }
    if (EXPRESSION_KEYWORDS.has(word)) return "call";
    // `#define OTHER NAME(...)`: a call in an object-like macro's body.
    if (isHashDefine(text, before)) return "call";
    return "declaration";
  }
  if (code === 42) {
    // '*': a pointer declarator after a type (`void *kmap(`), or a dereference.
    let i = p;
    while (i >= 0 && (text.charCodeAt(i) === 42 || isSpace(text.charCodeAt(i)))) i--;
    if (i >= 0 && isIdentChar(text.charCodeAt(i))) {
      const { word, before } = identifierBack(text, i);
      if (/^[0-9]/.test(word) || EXPRESSION_KEYWORDS.has(word)) return "call";
      if (isHashDefine(text, before)) return "call";
      return "declaration";
    }
    return "call";
  }
  return "call";
}

interface FunctionBlock {
  readonly open: number;
  readonly close: number;
  readonly name: string | null;
}

const FUNCTION_NAME_TAIL = /([A-Za-z_$][\w$]*(?:\s*##\s*[A-Za-z_$][\w$]*)*)\s*$/;

/** The function name for a top-level `{` at `open`, if the brace follows a parameter list. */
function functionNameBefore(text: string, open: number): string | null {
  let i = skipSpaceBack(text, open - 1);
  if (i < 0 || text.charCodeAt(i) !== 41) return null; // ')'
  let depth = 0;
  const limit = Math.max(0, i - 4000);
  for (; i >= limit; i--) {
    const code = text.charCodeAt(i);
    if (code === 41) depth++;
    else if (code === 40) {
      depth--;
      if (depth === 0) break;
    }
  }
  if (depth !== 0) return null;
  const head = text.slice(Math.max(0, i - 200), i);
  const match = FUNCTION_NAME_TAIL.exec(head);
  if (!match) return null;
  const name = match[1].replace(/\s+/g, "");
  return EXPRESSION_KEYWORDS.has(name) || name === "if" || name === "while" || name === "for"
    ? null
    : name;
}

/** Top-level brace blocks of a blanked file (best effort: preprocessor branches are not evaluated). */
function topLevelBlocks(text: string): FunctionBlock[] {
  const blocks: FunctionBlock[] = [];
  let depth = 0;
  let open = -1;
  const braces = /[{}]/g;
  for (let m = braces.exec(text); m !== null; m = braces.exec(text)) {
    if (m[0] === "{") {
      if (depth === 0) open = m.index;
      depth++;
    } else if (depth > 0) {
      depth--;
      if (depth === 0) blocks.push({ open, close: m.index, name: functionNameBefore(text, open) });
    }
  }
  if (depth > 0 && open >= 0) {
    blocks.push({ open, close: text.length, name: functionNameBefore(text, open) });
  }
  return blocks;
}

export interface FileMatch {
  readonly api: string;
  readonly apiIndex: number;
  readonly class: MatchClass;
  readonly line: number;
  readonly function: string | null;
}

/**
 * Matches and classifies every API name in one file's source text (already decoded).
 * Exported for the unit tests; the tree walk uses it for every candidate file.
 */
export function scanSource(source: string): FileMatch[] {
  if (!API_PREFILTER.test(source)) return [];
  const text = blankCommentsAndLiterals(source);
  const matches: FileMatch[] = [];
  let blocks: FunctionBlock[] | undefined;
  let blockIndex = 0;
  let line = 1;
  let counted = 0; // newlines before `counted` are already in `line`
  API_PATTERN.lastIndex = 0;
  for (let m = API_PATTERN.exec(text); m !== null; m = API_PATTERN.exec(text)) {
    const start = m.index;
    for (
      let at = text.indexOf("\n", counted);
      at !== -1 && at < start;
      at = text.indexOf("\n", at + 1)
    ) {
      line++;
    }
    counted = start;
    blocks ??= topLevelBlocks(text);
    while (blockIndex < blocks.length && blocks[blockIndex].close < start) blockIndex++;
    const block = blocks[blockIndex];
    const inside = block !== undefined && block.open < start && start < block.close;
    const api = m[1];
    matches.push({
      api,
      apiIndex: API_INDEX.get(api)!,
      class: classifyAt(text, start),
      line,
      function: inside ? block.name : null,
    });
  }
  return matches;
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
    const size = fstatSync(fd).size;
    if (size + 1 > readBuffer.length)
      readBuffer = Buffer.allocUnsafe(Math.max(size + 1, readBuffer.length * 2));
    let length = 0;
    for (;;) {
      if (length === readBuffer.length) {
        const grown = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(grown, 0, 0, length);
        readBuffer = grown;
      }
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
