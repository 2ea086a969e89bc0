/**
 * The census's lexer: blanks C comments and string/character literals, finds every API
 * name of the catalog followed by `(`, and classifies each match (a call, a member, a
 * define or a declaration) with the function around it. Works on one file's text; the
 * walker (scan.ts) feeds it the candidate files.
 */
import { CENSUS_APIS, type MatchClass } from "./catalog.ts";

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
