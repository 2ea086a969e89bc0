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

/**
 * The import cycles among the files matching `scope` (edges to files outside it are
 * ignored): one line per strongly connected component of more than one file (or a file
 * that imports itself), as "a -> b -> ... -> a" starting from its first file in sorted
 * order, following the smallest next file; sorted.
 */
export function importCycles(files: ReadonlyMap<string, string>, scope: RegExp): string[] {
  const next = new Map<string, string[]>();
  for (const edge of importEdges(files)) {
    if (!scope.test(edge.from) || !scope.test(edge.to) || !files.has(edge.to)) continue;
    const list = next.get(edge.from) ?? [];
    if (!list.includes(edge.to)) list.push(edge.to);
    next.set(edge.from, list);
  }
  for (const list of next.values()) list.sort();
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file) as number, index.get(to) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      components.push(component.sort());
    }
  };
  for (const file of [...files.keys()].filter((f) => scope.test(f)).sort()) {
    if (!index.has(file)) visit(file);
  }
  const cycles: string[] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = component[0];
    if (component.length === 1 && !(next.get(start) ?? []).includes(start)) continue;
    // A path back to the start inside the component (breadth first, smallest files first).
    const previous = new Map<string, string>();
    const queue = [start];
    let end: string | undefined;
    while (queue.length > 0 && end === undefined) {
      const file = queue.shift() as string;
      for (const to of next.get(file) ?? []) {
        if (!members.has(to)) continue;
        if (to === start) {
          end = file;
          break;
        }
        if (!previous.has(to)) {
          previous.set(to, file);
          queue.push(to);
        }
      }
    }
    const path = [start];
    for (let at = end as string; at !== start; at = previous.get(at) as string)
      path.splice(1, 0, at);
    cycles.push([...path, start].join(" -> "));
  }
  return cycles.sort();
}
