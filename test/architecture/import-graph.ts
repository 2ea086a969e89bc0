/**
 * A small scanner of the source tree's import graph, for the import-direction test
 * (test/architecture/imports.test.ts). It reads `import ... from "..."`,
 * `export ... from "..."`, side-effect `import "..."` and dynamic `import("...")` with a
 * literal path, type-only included, and resolves relative specifiers against the importing
 * file. Package imports (no leading dot) are not edges of the tree.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";

/** One import edge: `from` imports `to`, both repository-relative with forward slashes. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

/** A rule: no file matching `from` may import a file matching `to`. */
export interface ImportRule {
  readonly name: string;
  readonly from: RegExp;
  readonly to: RegExp;
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Strips block and line comments, so that an import cited in TSDoc is not an edge. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** The relative specifiers a source imports or re-exports. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  for (const match of stripComments(source).matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2];
    if (specifier?.startsWith(".")) out.push(specifier);
  }
  return out;
}

/** The import edges of an in-memory file set (path -> source). */
export function importEdges(files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, source] of files) {
    for (const specifier of importSpecifiers(source)) {
      const to = posix.normalize(posix.join(posix.dirname(from), specifier));
      edges.push({ from, to });
    }
  }
  return edges;
}

/** The edges that break a rule, as "from -> to (rule)" lines, sorted. */
export function forbiddenImports(
  files: ReadonlyMap<string, string>,
  rules: readonly ImportRule[],
): string[] {
  const out: string[] = [];
  for (const edge of importEdges(files)) {
    const key = `${edge.from} -> ${edge.to}`;
    for (const rule of rules) {
      if (rule.from.test(edge.from) && rule.to.test(edge.to)) out.push(`${key} (${rule.name})`);
    }
  }
  return out.sort();
}

/** Every .ts/.mts/.mjs source under `dirs` of `root`, repository-relative, with its text. */
export function readSources(root: string, dirs: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (/\.(ts|mts|mjs)$/.test(entry.name)) {
        files.set(
          relative(root, join(root, path)).split(sep).join("/"),
          readFileSync(join(root, path), "utf8"),
        );
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return files;
}
