import { existsSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { UserInputError, unknownChoiceError } from "./errors.ts";
import { importUserModule, loadErrorMessage } from "./load-module.ts";

/** File endings a plugin may have (TypeScript runs through tsx, as the CLI does). */
export const PLUGIN_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"] as const;

/** Whether a path has one of the {@link PLUGIN_EXTENSIONS}. */
export function hasPluginExtension(path: string): boolean {
  return (PLUGIN_EXTENSIONS as readonly string[]).includes(extname(path));
}

/**
 * Loads a plugin file and returns its default export, unchecked. The file must exist, have
 * a plugin ending and load as a module. Every failure is a UserInputError that starts with
 * `label` and the path ("strategy plugin p.ts: file not found."); `define` is what the
 * missing default export should be (`defineStrategy({ ... })`).
 */
export async function loadPluginExport(
  path: string,
  label: string,
  define: string,
): Promise<unknown> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserInputError(`${label} ${path}: file not found.`);
  if (!statSync(file).isFile()) throw new UserInputError(`${label} ${path}: not a file.`);
  if (!hasPluginExtension(file)) {
    throw new UserInputError(
      `${label} ${path}: unsupported file type "${extname(file) || "(none)"}"; use one of ${PLUGIN_EXTENSIONS.join(", ")}.`,
    );
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await importUserModule(file);
  } catch (error) {
    throw new UserInputError(
      `${label} ${path}: cannot be loaded as a module: ${loadErrorMessage(error, file)}`,
    );
  }
  let exported = namespace.default;
  // A CommonJS plugin's module.exports (with an ES default inside it) arrives as `default`.
  if (
    exported !== null &&
    typeof exported === "object" &&
    "default" in exported &&
    !("name" in exported)
  ) {
    exported = (exported as { default: unknown }).default;
  }
  if (exported === undefined) {
    throw new UserInputError(
      `${label} ${path}: has no default export; write \`export default ${define}\`.`,
    );
  }
  return exported;
}

/** A plugin kind's module as far as the catalog cares: it has a unique name. */
interface Named {
  readonly name: string;
}

/** A module in a catalog and where it came from ("built-in" or the plugin's absolute path). */
export interface CatalogEntry<M extends Named> {
  readonly module: M;
  readonly source: string;
}

/** What differs between strategy and workload catalogs. */
export interface CatalogKind<M extends Named> {
  /** "strategy" or "workload", for messages. */
  readonly noun: string;
  /** Folder of the built-ins ("strategies", "workloads"), for messages. */
  readonly folder: string;
  /** File extensions a plugin path may have. */
  readonly extensions: readonly string[];
  /** Loads and validates a plugin file. */
  load(path: string): Promise<M>;
}

/** Whether a selection entry names a file rather than a module. */
export function isPluginPath(spec: string, extensions: readonly string[]): boolean {
  return spec.includes("/") || spec.includes("\\") || extensions.includes(extname(spec));
}

function describeSource<M extends Named>(kind: CatalogKind<M>, entry: CatalogEntry<M>): string {
  return entry.source === "built-in"
    ? `the built-in ${kind.folder}/${entry.module.name}.ts`
    : `plugin ${entry.source}`;
}

/** Adds an entry; the same file twice is fine, two modules with one name are an error. */
export function addToCatalog<M extends Named>(
  kind: CatalogKind<M>,
  catalog: CatalogEntry<M>[],
  entry: CatalogEntry<M>,
): void {
  const clash = catalog.find((other) => other.module.name === entry.module.name);
  if (!clash) {
    catalog.push(entry);
    return;
  }
  if (clash.source === entry.source) return;
  throw new UserInputError(
    `duplicate ${kind.noun} name "${entry.module.name}": defined by ${describeSource(kind, clash)} and by ${describeSource(kind, entry)}; rename one of them.`,
  );
}

/** The built-ins followed by the given plugins, loaded and checked for clashing names. */
export async function buildCatalog<M extends Named>(
  kind: CatalogKind<M>,
  builtins: readonly M[],
  plugins: readonly string[],
): Promise<CatalogEntry<M>[]> {
  const catalog: CatalogEntry<M>[] = builtins.map((module) => ({ module, source: "built-in" }));
  for (const path of plugins) {
    addToCatalog(kind, catalog, { module: await kind.load(path), source: resolve(path) });
  }
  return catalog;
}

/**
 * The modules a command asks for, in the order asked. Each entry is a module name or a
 * plugin path (loaded if not in the catalog yet). No entries selects the whole catalog.
 * Unknown names suggest the closest valid one; selecting one module twice is an error.
 */
export async function selectFromCatalog<M extends Named>(
  kind: CatalogKind<M>,
  catalog: CatalogEntry<M>[],
  namesOrPaths: readonly string[],
): Promise<CatalogEntry<M>[]> {
  if (namesOrPaths.length === 0) return catalog;
  const selected: CatalogEntry<M>[] = [];
  for (const spec of namesOrPaths) {
    let entry = catalog.find((candidate) => candidate.module.name === spec);
    if (!entry && isPluginPath(spec, kind.extensions)) {
      const source = resolve(spec);
      entry = catalog.find((candidate) => candidate.source === source);
      if (!entry) {
        entry = { module: await kind.load(spec), source };
        addToCatalog(kind, catalog, entry);
      }
    }
    if (!entry) {
      throw unknownChoiceError(
        kind.noun,
        spec,
        catalog.map((candidate) => candidate.module.name),
      );
    }
    const name = entry.module.name;
    if (selected.some((other) => other.module.name === name)) {
      throw new UserInputError(`${kind.noun} "${name}" is selected twice.`);
    }
    selected.push(entry);
  }
  return selected;
}
