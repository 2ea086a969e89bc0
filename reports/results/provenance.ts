/**
 * Provenance: what identifies the model and the run behind a report, and the one context
 * block and reproduce line that every analysis prints (compare's result documents, and the
 * outputs of replay, sweep, validate, claims and census).
 *
 * - {@link gitCommit}: the checkout's commit, with `-dirty` when tracked files differ from it.
 * - {@link modelHash}: sha256 over the source of core/, strategies/ and workloads/ (sorted
 *   relative paths and contents), read from the package root, so the same whether pkslab
 *   runs from its sources or from the esbuild bundle in node_modules/.cache.
 * - {@link provenance}, {@link contextLines}, {@link reproduceLines}: the shared block.
 *
 * @packageDocumentation
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { PACKAGE_ROOT } from "../../core/package-root.ts";

/** The directories (relative to the package root) whose source is the model. */
export const MODEL_DIRECTORIES = ["core", "strategies", "workloads"] as const;

/** The standing disclaimer every report carries, in one line. */
export const MODEL_DISCLAIMER =
  "Model results (simulated machine), not measurements of a real machine.";

function git(root: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", root, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    });
  } catch {
    return undefined;
  }
}

/** The commit of a git checkout and whether its tracked files differ from it; undefined without git. */
export function gitState(
  root: string = PACKAGE_ROOT,
): { commit: string; dirty: boolean } | undefined {
  const head = git(root, ["rev-parse", "HEAD"])?.trim();
  if (!head || !/^[0-9a-f]{40}$/.test(head)) return undefined;
  // Tracked files only: an untracked scratch file does not change the model that ran.
  const status = git(root, ["status", "--porcelain", "--untracked-files=no", "--", "."]);
  return { commit: head, dirty: status === undefined || status.trim() !== "" };
}

const commits = new Map<string, string | undefined>();

/**
 * The pkslab checkout's git commit (40 hex digits), followed by `-dirty` when tracked files
 * have uncommitted changes; undefined when it is not a git checkout. Cached per process.
 */
export function gitCommit(root: string = PACKAGE_ROOT): string | undefined {
  if (!commits.has(root)) {
    const state = gitState(root);
    commits.set(root, state ? `${state.commit}${state.dirty ? "-dirty" : ""}` : undefined);
  }
  return commits.get(root);
}

/** A commit as reports print it: 12 hex digits, keeping the `-dirty` mark. */
export function commitLabel(commit: string | undefined): string {
  if (!commit) return "unknown (not a git checkout)";
  const dirty = commit.endsWith("-dirty");
  return `${commit.slice(0, 12)}${dirty ? "-dirty" : ""}`;
}

/** Every regular file under `dir`, as paths relative to `root` with forward slashes. */
function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    const entries = readdirSync(join(root, relative), { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(path);
    }
  };
  walk(dir);
  return out;
}

const modelHashes = new Map<string, string>();

/**
 * First 12 hex digits of the sha256 over the model's source: every file of core/,
 * strategies/ and workloads/ under `root` (default: the package root), in sorted order,
 * each as its relative path, its length and its bytes. Cached per process and root.
 */
export function modelHash(root: string = PACKAGE_ROOT): string {
  const cached = modelHashes.get(root);
  if (cached) return cached;
  const hash = createHash("sha256");
  const files = MODEL_DIRECTORIES.flatMap((dir) => sourceFiles(root, dir)).sort();
  for (const file of files) {
    const bytes = readFileSync(join(root, file));
    hash.update(`${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  const digest = hash.digest("hex").slice(0, 12);
  modelHashes.set(root, digest);
  return digest;
}

/** JSON with object keys sorted at every level (undefined members dropped). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** First 12 hex digits of the sha256 of the canonical JSON of `value` and the model hash. */
export function hashWithModel(value: unknown, model: string = modelHash()): string {
  return createHash("sha256").update(canonicalJson({ model, value })).digest("hex").slice(0, 12);
}

/** The context block of an analysis's output (and its JSON `context`). */
export interface Provenance {
  readonly tool: { readonly name: "pkslab"; readonly version: string };
  /** Commit with `-dirty` when the tree had uncommitted changes; absent without git. */
  readonly gitCommit?: string;
  /** {@link modelHash} of the model that ran. */
  readonly modelHash: string;
  /** Hash of the analysis's resolved configuration and the model hash. */
  readonly configHash: string;
  /** The cost profile's name, where the analysis has one. */
  readonly costProfile?: string;
  readonly disclaimer: string;
  /** The command line that reproduces this output. */
  readonly reproduce: string;
}

/** The zod schema of a {@link Provenance} (the `context` of an analysis's JSON). */
export const provenanceSchema = z
  .object({
    tool: z.object({ name: z.literal("pkslab"), version: z.string() }).strict(),
    gitCommit: z
      .string()
      .regex(/^[0-9a-f]{40}(-dirty)?$/)
      .optional(),
    modelHash: z.string().regex(/^[0-9a-f]{12}$/),
    configHash: z.string().regex(/^[0-9a-f]{12}$/),
    costProfile: z.string().optional(),
    disclaimer: z.string(),
    reproduce: z.string(),
  })
  .strict();

/** Inputs of {@link provenance}. */
export interface ProvenanceInputs {
  readonly toolVersion: string;
  /** Everything that decides the output besides the model (hashed into configHash). */
  readonly config: unknown;
  readonly costProfile?: string;
  readonly reproduce: string;
  /** The analysis's own disclaimer, when it says more than {@link MODEL_DISCLAIMER}. */
  readonly disclaimer?: string;
  /** Test hooks: the model hash and commit to record (default: this checkout's). */
  readonly modelHash?: string;
  readonly gitCommit?: string | null;
}

/** The provenance of an analysis's output. */
export function provenance(inputs: ProvenanceInputs): Provenance {
  const model = inputs.modelHash ?? modelHash();
  const commit = inputs.gitCommit === null ? undefined : (inputs.gitCommit ?? gitCommit());
  return {
    tool: { name: "pkslab", version: inputs.toolVersion },
    ...(commit ? { gitCommit: commit } : {}),
    modelHash: model,
    configHash: hashWithModel(
      { config: inputs.config, costProfile: inputs.costProfile, tool: inputs.toolVersion },
      model,
    ),
    ...(inputs.costProfile !== undefined ? { costProfile: inputs.costProfile } : {}),
    disclaimer: inputs.disclaimer ?? MODEL_DISCLAIMER,
    reproduce: inputs.reproduce,
  };
}

/**
 * The words of `text` split at single spaces outside single quotes (a shell-quoted
 * argument with spaces in it stays one word, its spaces untouched).
 */
function wordsOf(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let quoted = false;
  for (const char of text) {
    if (char === "'") quoted = !quoted;
    if (char === " " && !quoted) {
      words.push(current);
      current = "";
    } else current += char;
  }
  words.push(current);
  return words;
}

/**
 * Wraps `text` at spaces only (never inside a single-quoted shell word), so that no line
 * exceeds `width` unless one word does (a word is never split: a long path stays whole on
 * its own line). Continuation lines start with `indent`; every broken line ends with
 * `join` (" \\" for a shell command, so that the pieces, pasted into a shell, are the same
 * command).
 */
export function wrapAtSpaces(text: string, width: number, indent = "  ", join = ""): string[] {
  const lines: string[] = [];
  let current: string | undefined;
  for (const word of wordsOf(text)) {
    if (current === undefined) current = word;
    else if (current.trim() === "" || current.length + 1 + word.length + join.length <= width) {
      current += current === indent ? word : ` ${word}`;
    } else {
      lines.push(`${current}${join}`);
      current = `${indent}${word}`;
    }
  }
  if (current !== undefined && current.trim() !== "") lines.push(current);
  return lines;
}

/** The reproduce line, wrapped at spaces within `width` and continued with ` \`. */
export function reproduceLines(reproduce: string, width: number): string[] {
  return wrapAtSpaces(`reproduce: ${reproduce}`, width, "    ", " \\");
}

/**
 * Joins reproduce lines as printed back into the command (what a shell does with the
 * ` \` continuations), without the `reproduce: ` label.
 */
export function joinReproduce(lines: readonly string[]): string {
  const text = lines
    .map((line) => line.replace(/ \\$/, "").trim())
    .join(" ")
    .replace(/^reproduce: /, "");
  return text;
}

/** Groups ("config abc") joined by two spaces, a new line (after `indent`) where one does not fit. */
function packGroups(groups: readonly string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const group of groups) {
    if (current === "") current = group;
    else if (current.length + 2 + group.length <= width) current += `  ${group}`;
    else {
      lines.push(current);
      current = `${indent}${group}`;
    }
  }
  if (current !== "") lines.push(current);
  return lines;
}

/**
 * The context block of a text output: tool version, commit (with -dirty), config and model
 * hashes, cost profile, the disclaimer, and the reproduce line; every line within `width`
 * (wrapped at spaces) for usual inputs.
 */
export function contextLines(p: Provenance, width: number): string[] {
  return [
    ...packGroups(idGroups(p), width, "  "),
    ...wrapAtSpaces(p.disclaimer, width, "  "),
    ...reproduceLines(p.reproduce, width),
  ];
}

/** The identification groups of the block: version, commit, hashes, profile. */
function idGroups(p: Provenance): string[] {
  return [
    `${p.tool.name} ${p.tool.version}`,
    `commit ${commitLabel(p.gitCommit)}`,
    `config ${p.configHash}`,
    `model ${p.modelHash}`,
    ...(p.costProfile !== undefined ? [`profile ${p.costProfile}`] : []),
  ];
}

/** The context block as markdown: the identification line, the disclaimer, the command. */
export function contextMarkdown(p: Provenance): string[] {
  return [
    `${idGroups(p).join("  ")}  `,
    `*${p.disclaimer}*`,
    "",
    "reproduce:",
    "",
    "```sh",
    p.reproduce,
    "```",
  ];
}

/** A shell word: as is when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** A command line from words, each shell-quoted as needed. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellWord).join(" ");
}

/**
 * The reproduce line of an analysis: its command's words and, unless `format` is the
 * default (table, or none given), `--format <format>`.
 */
export function reproduceCommand(words: readonly string[], format?: string): string {
  return commandLine(format && format !== "table" ? [...words, "--format", format] : words);
}

let version: string | undefined;

/** pkslab's version, from the package root's package.json. */
export function toolVersion(): string {
  version ??= String(
    JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version ?? "unknown",
  );
  return version;
}

/** The provenance of an analysis run by this checkout's pkslab ({@link toolVersion}). */
export function analysisProvenance(inputs: Omit<ProvenanceInputs, "toolVersion">): Provenance {
  return provenance({ ...inputs, toolVersion: toolVersion() });
}

/** Text styles of the context block. */
export type ContextStyle = "text" | "email" | "markdown" | "csv" | "html";

/** The whole block, its identification and disclaimer lines, or its reproduce line. */
export type ContextPart = "all" | "head" | "reproduce";

/** Width of the terminal formats and of the email formats. */
export const TEXT_WIDTH = 120;
export const EMAIL_COLUMNS = 72;

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/**
 * The context block in a format's style, the one place every analysis takes it from:
 * terminal text (120 columns), email (72 columns, ASCII), markdown, CSV comment lines,
 * or HTML. Each ends with the reproduce line (in text styles wrapped at spaces, continued
 * with ` \`).
 */
export function renderContext(
  p: Provenance,
  style: ContextStyle,
  part: ContextPart = "all",
): string[] {
  const all = contextIn(p, style);
  // The reproduce line is the last entry in every style (text: its wrapped lines).
  const reproduceStart = (() => {
    if (style === "markdown") return all.indexOf("reproduce:");
    if (style === "html") return all.length - 1;
    return all.findIndex((line) => /^(# )?reproduce: /.test(line));
  })();
  if (part === "head")
    return all.slice(0, reproduceStart).filter((line) => line !== "" || style !== "markdown");
  if (part === "reproduce") return all.slice(reproduceStart);
  return all;
}

function contextIn(p: Provenance, style: ContextStyle): string[] {
  switch (style) {
    case "text":
      return contextLines(p, TEXT_WIDTH);
    case "email":
      return contextLines(p, EMAIL_COLUMNS);
    case "markdown":
      return contextMarkdown(p);
    case "csv":
      return contextLines(p, TEXT_WIDTH - 2).map((line) => `# ${line}`);
    case "html":
      return [
        `<p class="provenance">${escapeHtml(idGroups(p).join("  "))}</p>`,
        `<p class="disclaimer">${escapeHtml(p.disclaimer)}</p>`,
        `<pre class="reproduce">${escapeHtml(p.reproduce)}</pre>`,
      ];
  }
}
