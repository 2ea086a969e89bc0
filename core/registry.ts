/**
 * One generic registry of plugin modules, used by strategies/registry.ts and
 * workloads/registry.ts: the built-ins by name, plugin files loaded and checked (TypeScript
 * through tsx, as the CLI runs; JavaScript anywhere), the catalog (built-ins, then plugins,
 * two modules with one name refused), selection by name or path, lookup with a "did you
 * mean" and the valid choices, and the shared pieces of a module's validation and metadata.
 * What differs between the two kinds (their schema, their extra checks) is a
 * {@link RegistryKind}. Every error is a {@link UserInputError}: the CLI prints it and exits 2.
 */
import { existsSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { z } from "zod";
import { type OptionSpecs, optionKind } from "./contract/options.ts";
import { UserInputError, unknownChoiceError } from "./errors.ts";
import { importUserModule, loadErrorMessage } from "./load-module.ts";

/** File endings a plugin may have (TypeScript runs through tsx, as the CLI does). */
export const PLUGIN_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"] as const;

/** Whether a path has one of the {@link PLUGIN_EXTENSIONS}. */
export function hasPluginExtension(path: string): boolean {
  return (PLUGIN_EXTENSIONS as readonly string[]).includes(extname(path));
}

/** Whether a selection entry names a file rather than a module. */
export function isPluginPath(spec: string): boolean {
  return spec.includes("/") || spec.includes("\\") || hasPluginExtension(spec);
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

/** A module as far as the registry cares: it has a unique name. */
export interface Named {
  readonly name: string;
}

/** A module in a catalog and where it came from: "built-in" or the plugin's absolute path. */
export interface RegistryEntry<M extends Named> {
  readonly module: M;
  readonly source: string;
}

/** What differs between the strategy and the workload registries. */
export interface RegistryKind<M extends Named> {
  /** "strategy" or "workload", for messages. */
  readonly noun: "strategy" | "workload";
  /** Folder of the built-ins ("strategies", "workloads"), for messages. */
  readonly folder: string;
  /** What a plugin's default export should be, for the missing-export error. */
  readonly define: string;
  /**
   * Checks that a loaded default export is a module of this kind; `origin` (a file path or
   * "built-in") names it in the UserInputError naming the first problem.
   */
  validate(value: unknown, origin: string): M;
}

/**
 * The registry of one kind of module: built-ins (in registry order) plus plugin files.
 * A catalog is built per command (the built-ins, then the `--plugin` files), so nothing a
 * command loads outlives it.
 */
export class Registry<M extends Named> {
  readonly kind: RegistryKind<M>;
  /** The built-ins, in registry order. */
  readonly builtins: readonly M[];
  readonly #byName: ReadonlyMap<string, M>;

  constructor(kind: RegistryKind<M>, builtins: readonly M[]) {
    this.kind = kind;
    this.builtins = builtins;
    this.#byName = new Map(builtins.map((module) => [module.name, module]));
  }

  /** Names of the built-ins, in registry order. */
  get names(): string[] {
    return this.builtins.map((module) => module.name);
  }

  /** The built-in called `name`; an unknown name suggests the closest and lists the valid ones. */
  lookup(name: string): M {
    const module = this.#byName.get(name);
    if (!module) throw unknownChoiceError(this.kind.noun, name, this.names);
    return module;
  }

  /** Loads a plugin file and checks it is a module of this kind. */
  async load(path: string): Promise<M> {
    const exported = await loadPluginExport(path, `${this.kind.noun} plugin`, this.kind.define);
    return this.kind.validate(exported, path);
  }

  /** The built-ins followed by the given plugins, loaded and checked for clashing names. */
  async catalog(plugins: readonly string[] = []): Promise<RegistryEntry<M>[]> {
    const catalog: RegistryEntry<M>[] = this.builtins.map((module) => ({
      module,
      source: "built-in",
    }));
    for (const path of plugins) {
      this.#add(catalog, { module: await this.load(path), source: resolve(path) });
    }
    return catalog;
  }

  /**
   * The modules a command asks for, in the order asked. Each entry is a module name or a
   * plugin path (loaded if not in the catalog yet). No entries selects the whole catalog.
   * Unknown names suggest the closest valid one; selecting one module twice is an error.
   */
  async select(
    catalog: RegistryEntry<M>[],
    namesOrPaths: readonly string[],
  ): Promise<RegistryEntry<M>[]> {
    if (namesOrPaths.length === 0) return catalog;
    const { noun } = this.kind;
    const selected: RegistryEntry<M>[] = [];
    for (const spec of namesOrPaths) {
      let entry = catalog.find((candidate) => candidate.module.name === spec);
      if (!entry && isPluginPath(spec)) {
        const source = resolve(spec);
        entry = catalog.find((candidate) => candidate.source === source);
        if (!entry) {
          entry = { module: await this.load(spec), source };
          this.#add(catalog, entry);
        }
      }
      if (!entry) {
        throw unknownChoiceError(
          noun,
          spec,
          catalog.map((candidate) => candidate.module.name),
        );
      }
      const name = entry.module.name;
      if (selected.some((other) => other.module.name === name)) {
        throw new UserInputError(`${noun} "${name}" is selected twice.`);
      }
      selected.push(entry);
    }
    return selected;
  }

  /** Adds an entry; the same file twice is fine, two modules with one name are an error. */
  #add(catalog: RegistryEntry<M>[], entry: RegistryEntry<M>): void {
    const clash = catalog.find((other) => other.module.name === entry.module.name);
    if (!clash) {
      catalog.push(entry);
      return;
    }
    if (clash.source === entry.source) return;
    throw new UserInputError(
      `duplicate ${this.kind.noun} name "${entry.module.name}": defined by ${this.#describe(clash)} and by ${this.#describe(entry)}; rename one of them.`,
    );
  }

  #describe(entry: RegistryEntry<M>): string {
    return entry.source === "built-in"
      ? `the built-in ${this.kind.folder}/${entry.module.name}.ts`
      : `plugin ${entry.source}`;
  }
}

// -------------------------------------------------------------------------------------------
// Shared pieces of a module's validation and metadata.

/**
 * The zod fields every module starts with (name, version, summary, citation), checked
 * alike for both kinds; `citationHint` says what the kind's citation should point to.
 */
export function moduleIdentityFields(noun: RegistryKind<Named>["noun"], citationHint: string) {
  return {
    name: z
      .string()
      .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, `must be kebab-case (for example my-${noun})`),
    version: z
      .string()
      .regex(
        /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/,
        "must be a semantic version such as 1.0.0",
      ),
    summary: z
      .string()
      .min(1, "needs a one-line summary")
      .refine((text) => !text.includes("\n"), "must be one line"),
    citation: z.string().min(1, `needs a citation (${citationHint})`),
  };
}

/** The zod schema of one option (or parameter) spec, as a plugin declares it. */
export const optionSpecSchema = z
  .object({
    default: z.union([z.number(), z.boolean(), z.string()]),
    unit: z.string().min(1, 'needs a unit (use "-" when unitless)'),
    description: z.string().min(1, "needs a description"),
    choices: z.array(z.string()).readonly().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict();

/**
 * The UserInputError for the first problem of a module's shape: `<noun> plugin <origin>:
 * <field path>: <problem>`; unknown fields at the top list the valid ones.
 */
export function moduleShapeError(
  noun: string,
  origin: string,
  error: z.ZodError,
  fields: readonly string[],
): UserInputError {
  const issue = error.issues[0];
  const where = issue.path.length > 0 ? issue.path.join(".") : "(the default export)";
  const message =
    issue.code === "unrecognized_keys"
      ? `unknown field(s) ${issue.keys.join(", ")}${issue.path.length === 0 ? `; the fields are ${fields.join(", ")}` : ""}`
      : issue.code === "invalid_type" && issue.input === undefined
        ? `missing (${issue.message})`
        : issue.message;
  return new UserInputError(`${noun} plugin ${origin}: ${where}: ${message}`);
}

/**
 * `value` as a module of the kind whose shape `schema` describes (a strict zod object), for
 * the kind's own checks to go on from; the first problem of its shape is the
 * {@link moduleShapeError} naming `origin`.
 */
export function parseModuleShape<M>(
  noun: RegistryKind<Named>["noun"],
  schema: z.ZodObject,
  value: unknown,
  origin: string,
): M {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw moduleShapeError(noun, origin, result.error, Object.keys(schema.shape));
  }
  // The schema checked every field; a function's parameter types are the plugin's business.
  return value as M;
}

/** What every module's metadata starts with: who it is and where it came from. */
export interface ModuleIdentity {
  readonly name: string;
  readonly version: string;
  readonly summary: string;
  readonly citation: string;
  /** "built-in" or the plugin's path. */
  readonly source: string;
}

/** The {@link ModuleIdentity} of a module from `source`. */
export function moduleIdentity(
  module: Omit<ModuleIdentity, "source">,
  source: string,
): ModuleIdentity {
  return {
    name: module.name,
    version: module.version,
    summary: module.summary,
    citation: module.citation,
    source,
  };
}

/** JSON-able description of one option (or parameter), for `list --json` and `describe --json`. */
export interface OptionMetadata {
  readonly kind: "number" | "boolean" | "string";
  readonly default: number | boolean | string;
  readonly unit: string;
  readonly description: string;
  readonly choices?: string[];
  readonly min?: number;
  readonly max?: number;
}

/** The metadata of a set of option specs, in declaration order. */
export function optionMetadata(specs: OptionSpecs): Record<string, OptionMetadata> {
  const out: Record<string, OptionMetadata> = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = {
      kind: optionKind(spec),
      default: spec.default,
      unit: spec.unit,
      description: spec.description,
      ...(spec.choices ? { choices: [...spec.choices] } : {}),
      ...(spec.min !== undefined ? { min: spec.min } : {}),
      ...(spec.max !== undefined ? { max: spec.max } : {}),
    };
  }
  return out;
}

/**
 * The lines `pkslab describe` prints for each option (or parameter): name, default, unit
 * and what it allows, then its description; the same layout for strategies and workloads.
 */
export function describeOptionLines(options: Readonly<Record<string, OptionMetadata>>): string[] {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(options)) {
    let allowed: string = spec.kind;
    if (spec.choices) allowed = `one of ${spec.choices.join(" | ")}`;
    else if (spec.kind === "number") {
      const bounds = [
        spec.min !== undefined ? `>= ${spec.min}` : "",
        spec.max !== undefined ? `<= ${spec.max}` : "",
      ].filter((text) => text !== "");
      allowed = bounds.length > 0 ? `number ${bounds.join(", ")}` : "number";
    }
    const unit = spec.unit === "-" ? "" : ` ${spec.unit}`;
    lines.push(`    ${name} = ${String(spec.default)}${unit}  (${allowed})`);
    lines.push(`        ${spec.description}`);
  }
  return lines;
}
