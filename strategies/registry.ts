/**
 * The strategy registry: the built-ins in one map, and the strategy kind of the generic
 * {@link Registry} (core/registry.ts: user plugins loaded from a file path, `--plugin
 * ./my-strategy.ts`, the catalog, selection with a did-you-mean): validation of a strategy
 * module's shape, the architecture-specific default selection, and the metadata printed by
 * `pkslab list` / `pkslab describe`.
 */
import { z } from "zod";
import { UserInputError } from "../core/errors.ts";
import type { Arch } from "../core/machine/params.ts";
import { CONFIDENCE_LEVELS } from "../core/profile.ts";
// The registry kit every kind of module shares (the workload registry uses the same).
import * as kit from "../core/registry.ts";
import type { CostParameterSpec, StrategyModule } from "./api.ts";
import kmapAsProtection from "./kmap-as-protection.ts";
import kmapLocalRange from "./kmap-local-range.ts";
import noDirectMap from "./no-direct-map.ts";
import { optionSpecProblems } from "./options.ts";
import pksKmap from "./pks-kmap.ts";
import unprotected from "./unprotected.ts";
import vmapAlias from "./vmap-alias.ts";

const BUILTINS = {
  unprotected,
  "pks-kmap": pksKmap,
  "vmap-alias": vmapAlias,
  "no-direct-map": noDirectMap,
  "kmap-local-range": kmapLocalRange,
} satisfies Record<string, StrategyModule>;

/** Name of a built-in strategy. */
export type BuiltinStrategy = keyof typeof BUILTINS;

/**
 * The built-in strategies, by name, as plain modules: what the engine and the CLI hold;
 * each module's own file keeps its typed options.
 */
export const BUILTIN_STRATEGIES: Readonly<Record<BuiltinStrategy, StrategyModule>> = BUILTINS;

/**
 * Built-in strategies that mean something only on another architecture than x86-64: they
 * resolve by name on any machine (on x86-64 their setup is unsupported, with the reason),
 * and join the default selection only on their architecture, so that x86-64 comparisons
 * keep the five x86-64 candidates.
 */
export const ARCH_STRATEGIES: Readonly<Record<string, { module: StrategyModule; arch: Arch }>> = {
  "kmap-as-protection": { module: kmapAsProtection, arch: "x86-32-highmem" },
};

/** Names of the built-ins, in registry order. */
export const BUILTIN_STRATEGY_NAMES = Object.keys(BUILTIN_STRATEGIES) as BuiltinStrategy[];

/** A strategy together with where it came from (`built-in` or the plugin's absolute path). */
export type ResolvedStrategy = kit.RegistryEntry<StrategyModule>;

const costSpecSchema = z
  .object({
    value: z.number().finite().nonnegative(),
    unit: z.string().min(1),
    confidence: z.enum(CONFIDENCE_LEVELS),
    source: z.string().min(1, "needs a source (citation)"),
    range: z.tuple([z.number().finite(), z.number().finite()]).optional(),
  })
  .strict();

const strategySchema = z
  .object({
    ...kit.moduleIdentityFields("strategy", "patch, message-id or file:function"),
    options: z.record(
      z.string().regex(/^[a-z][a-zA-Z0-9-]*$/, "bad option name"),
      kit.optionSpecSchema,
    ),
    costs: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, "must be snake_case"), costSpecSchema),
    supports: z.object({ local: z.boolean(), global: z.boolean(), longTerm: z.boolean() }).strict(),
    restoresProtection: z.boolean(),
    mapsRanges: z.boolean().optional(),
    directMapReads: z.boolean().optional(),
    proposed: z.array(z.string().min(1)).optional(),
    create: z.custom<StrategyModule["create"]>(
      (value) => typeof value === "function",
      "must be a function (context) => hooks",
    ),
  })
  .strict();

/**
 * Checks that `value` has the shape of a strategy module; `origin` (a file path or
 * "built-in") names it in the error. Throws {@link UserInputError} naming the first problem.
 */
export function validateStrategyModule(value: unknown, origin: string): StrategyModule {
  // `create` is a function (its parameter types are checked by the conformance kit).
  const module = kit.parseModuleShape<StrategyModule>("strategy", strategySchema, value, origin);
  const problems = optionSpecProblems(module.options);
  for (const [name, cost] of Object.entries(module.costs)) {
    if (cost.range && cost.range[0] > cost.range[1]) {
      problems.push(`cost "${name}": range is empty (low > high)`);
    }
  }
  if (problems.length > 0) {
    throw new UserInputError(`strategy plugin ${origin}: ${problems.join("; ")}`);
  }
  return module;
}

/**
 * The strategy registry: every built-in, the architecture-specific ones after the
 * candidates, and plugin files (`defineStrategy({ ... })` default exports).
 */
export const STRATEGIES = new kit.Registry<StrategyModule>(
  {
    noun: "strategy",
    folder: "strategies",
    define: "defineStrategy({ ... })",
    validate: validateStrategyModule,
  },
  [
    ...BUILTIN_STRATEGY_NAMES.map((name) => BUILTIN_STRATEGIES[name]),
    ...Object.values(ARCH_STRATEGIES).map((entry) => entry.module),
  ],
);

/**
 * Loads a strategy plugin from a file (`.ts` runs under tsx, like the CLI; `.js`/`.mjs`
 * anywhere). The default export must be a strategy module (`defineStrategy({...})`).
 * Every failure is a {@link UserInputError} that names the file and the problem.
 */
export function loadStrategyPlugin(path: string): Promise<StrategyModule> {
  return STRATEGIES.load(path);
}

/** Every built-in by name, the architecture-specific ones included (for workers resolving a name). */
export function builtinStrategiesByName(): Readonly<Record<string, StrategyModule>> {
  return Object.fromEntries(STRATEGIES.builtins.map((module) => [module.name, module]));
}

/** The built-ins followed by the given plugins (loaded and checked for duplicate names). */
export function strategyCatalog(plugins: readonly string[] = []): Promise<ResolvedStrategy[]> {
  return STRATEGIES.catalog(plugins);
}

/**
 * Resolves the strategies a command asks for, in order. Each entry is a built-in name, the
 * name of a strategy from `plugins`, or a literal plugin path. No entries means the whole
 * catalog (built-ins, then plugins). Unknown names suggest the closest valid one; a name
 * defined twice is an error naming both sources; a strategy selected twice is an error.
 */
export async function resolveStrategies(
  namesOrPaths: readonly string[],
  plugins: readonly string[] = [],
  arch: Arch = "x86-64",
): Promise<ResolvedStrategy[]> {
  const selected = await STRATEGIES.select(await strategyCatalog(plugins), namesOrPaths);
  if (namesOrPaths.length > 0) return selected;
  // The default selection: architecture-specific built-ins only on their architecture.
  return selected.filter((entry) => {
    const special = ARCH_STRATEGIES[entry.module.name];
    return !special || entry.source !== "built-in" || special.arch === arch;
  });
}

/** Resolves a strategy's option values (defaults filled in, unknown keys refused). */
export { resolveStrategyOptions } from "../core/contract/strategy.ts";

/** JSON-able metadata of a strategy, for `pkslab list --json` and `pkslab describe --json`. */
export interface StrategyMetadata extends kit.ModuleIdentity {
  readonly supports: { local: boolean; global: boolean; longTerm: boolean };
  readonly restoresProtection: boolean;
  readonly mapsRanges: boolean;
  readonly directMapReads: boolean;
  readonly proposed: string[];
  readonly options: Record<string, kit.OptionMetadata>;
  readonly costs: Record<
    string,
    {
      value: number;
      unit: string;
      confidence: string;
      source: string;
      range?: [number, number];
    }
  >;
}

/** The metadata of a strategy as plain data. */
export function strategyMetadata(module: StrategyModule, source = "built-in"): StrategyMetadata {
  const options = kit.optionMetadata(module.options);
  const costs: StrategyMetadata["costs"] = {};
  for (const [name, cost] of Object.entries<CostParameterSpec>(module.costs)) {
    costs[name] = {
      value: cost.value,
      unit: cost.unit,
      confidence: cost.confidence,
      source: cost.source,
      ...(cost.range ? { range: [cost.range[0], cost.range[1]] as [number, number] } : {}),
    };
  }
  return {
    ...kit.moduleIdentity(module, source),
    supports: { ...module.supports },
    restoresProtection: module.restoresProtection,
    mapsRanges: module.mapsRanges ?? false,
    directMapReads: module.directMapReads ?? false,
    proposed: [...(module.proposed ?? [])],
    options,
    costs,
  };
}

const yesNo = (flag: boolean) => (flag ? "yes" : "no");

/** Human-readable metadata of a strategy, for `pkslab describe <strategy>`. */
export function describeStrategy(module: StrategyModule, source = "built-in"): string {
  const meta = strategyMetadata(module, source);
  const lines = [
    `${meta.name} ${meta.version}${source === "built-in" ? " (built-in)" : ` (plugin ${source})`}`,
    `  ${meta.summary}`,
    "",
    `  citation: ${meta.citation}`,
    `  supports: local ${yesNo(meta.supports.local)}, global ${yesNo(meta.supports.global)}, long-term ${yesNo(meta.supports.longTerm)}`,
    `  restores protection after unmap: ${yesNo(meta.restoresProtection)}`,
    `  maps a multi-page range in one call: ${yesNo(meta.mapsRanges)}`,
    `  write-disable region readable through page_address() with no map call: ${yesNo(meta.directMapReads)}`,
    ...(meta.proposed.length > 0
      ? [
          "  proposed mechanisms (not in x86-64 Linux 6.1):",
          ...meta.proposed.map((line) => `    - ${line}`),
        ]
      : []),
    "",
  ];
  const options = kit.describeOptionLines(meta.options);
  if (options.length === 0) lines.push("  options: none");
  else lines.push("  options:", ...options);
  const costs = Object.entries(meta.costs);
  if (costs.length === 0) {
    lines.push("  cost parameters: none (every cycle is charged by the model's primitives)");
  } else {
    lines.push("  cost parameters (charged through the ledger, listed by `pkslab profile`):");
    for (const [name, cost] of costs) {
      const range = cost.range ? `, range ${cost.range[0]}-${cost.range[1]}` : "";
      lines.push(`    ${name} = ${cost.value} ${cost.unit}  [${cost.confidence}${range}]`);
      lines.push(`        source: ${cost.source}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
