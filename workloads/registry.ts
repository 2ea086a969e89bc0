/**
 * The workload registry: the built-in workloads by name, and the workload kind of the
 * generic {@link Registry} (core/registry.ts: plugins loaded from a path, the catalog,
 * selection with a did-you-mean): validation of a workload module, the default selection
 * (experiments only when named), parameter resolution, and the metadata `pkslab list` /
 * `pkslab describe` print.
 *
 * Every workload has the coverage-model parameters `stray_every` and `stray_mix`: the
 * built-ins declare them (some with their own defaults); a plugin that does not gets the
 * global defaults from {@link workloadParamSpecs}.
 *
 * @packageDocumentation
 */
import { z } from "zod";
import {
  type OptionSpec,
  type OptionSpecs,
  type OptionValues,
  type OptionValuesOf,
  optionKind,
  optionSpecProblems,
  resolveOptions,
} from "../core/contract/options.ts";
import { UserInputError } from "../core/errors.ts";
// The registry kit every kind of module shares (the strategy registry uses the same).
import * as kit from "../core/registry.ts";
import type { WorkloadModule } from "./api.ts";
import btrfsDebugRo from "./btrfs/debug-ro.ts";
import btrfsMetadata from "./btrfs/metadata.ts";
import { parseStrayMix, STRAY_PARAMS } from "./common/params.ts";
import crossCpuHandoff from "./cross-cpu-handoff.ts";
import lmbench from "./lmbench.ts";
import longTermMap from "./long-term-map.ts";
import mmapSync from "./mmap-sync.ts";
import pagecacheIo from "./pagecache-io.ts";
import pagetableProtect from "./pagetable-protect.ts";
import pmemDax from "./pmem-dax.ts";
import preemptMigrate from "./preempt-migrate.ts";
import tlbFlushBench from "./tlb-flush-bench.ts";
import vmapChurn from "./vmap-churn.ts";
import xpfoChurn from "./xpfo-churn.ts";

const BUILTINS = {
  "pmem-dax": pmemDax,
  "pagetable-protect": pagetableProtect,
  "btrfs-metadata": btrfsMetadata,
  "btrfs-debug-ro": btrfsDebugRo,
  "pagecache-io": pagecacheIo,
  "long-term-map": longTermMap,
  "cross-cpu-handoff": crossCpuHandoff,
  "preempt-migrate": preemptMigrate,
  "xpfo-churn": xpfoChurn,
  "vmap-churn": vmapChurn,
  lmbench,
  "mmap-sync": mmapSync,
  "tlb-flush-bench": tlbFlushBench,
} satisfies Record<string, WorkloadModule>;

export type BuiltinWorkload = keyof typeof BUILTINS;

/**
 * The built-in workloads, by name (the names are part of the interface), as plain modules:
 * what the engine and the CLI hold; each module's own file keeps its typed parameters.
 */
export const BUILTIN_WORKLOADS: Readonly<Record<BuiltinWorkload, WorkloadModule>> = BUILTINS;

/**
 * Built-ins that reproduce one published experiment each (issue 18) and run only when
 * named (--workloads lmbench, ...): a compare or sweep without --workloads keeps the
 * default matrix it had, with its output and run time.
 */
export const EXPERIMENT_WORKLOADS: ReadonlySet<string> = new Set([
  "lmbench",
  "mmap-sync",
  "tlb-flush-bench",
]);

/** Built-in names in registry order. */
export const BUILTIN_WORKLOAD_NAMES = Object.keys(BUILTIN_WORKLOADS) as BuiltinWorkload[];

/** The built-ins a comparison runs when no workload is named (all but the experiments), in order. */
export const DEFAULT_WORKLOAD_NAMES: readonly BuiltinWorkload[] = BUILTIN_WORKLOAD_NAMES.filter(
  (name) => !EXPERIMENT_WORKLOADS.has(name),
);

/** A workload and where it came from: "built-in" or the plugin file's absolute path. */
export type ResolvedWorkload = kit.RegistryEntry<WorkloadModule>;

const isFunction = (what: string) =>
  z.custom<(...args: never[]) => unknown>(
    (value) => typeof value === "function",
    `must be ${what}`,
  );

const workloadSchema = z
  .object({
    ...kit.moduleIdentityFields("workload", "what kernel path or measurement it models"),
    params: z.record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, "parameter names are snake_case"),
      kit.optionSpecSchema,
    ),
    region: isFunction("a function (params) => { pages, keyMode, contiguous }"),
    threads: isFunction("a function (params, cpus) => number of threads"),
    generate: isFunction("a generator function (context) => operations"),
  })
  .strict();

const regionSchema = z
  .object({
    pages: z.number().int().positive(),
    keyMode: z.enum(["access-disable", "write-disable"]),
    contiguous: z.boolean(),
    memory: z.enum(["ram", "device"]).optional(),
  })
  .strict();

/**
 * Checks that `value` is a workload module; `origin` names it in errors. Also evaluates
 * `region` and `threads` at the default parameters, so that a plugin whose region is
 * malformed fails here, not in the middle of a comparison.
 */
export function validateWorkloadModule(value: unknown, origin: string): WorkloadModule {
  // region, threads and generate are functions; the first two are tried at the defaults below.
  const module = kit.parseModuleShape<WorkloadModule>("workload", workloadSchema, value, origin);
  const problems = optionSpecProblems(module.params).map((problem) =>
    problem.replace(/^option /, "parameter "),
  );
  if (problems.length > 0) {
    throw new UserInputError(`workload plugin ${origin}: ${problems.join("; ")}`);
  }
  const defaults = resolveWorkloadParams(module);
  let region: unknown;
  let threads: unknown;
  try {
    region = module.region(defaults);
    threads = module.threads(defaults, 16);
  } catch (error) {
    throw new UserInputError(
      `workload plugin ${origin}: region() or threads() throws at the default parameters: ${(error as Error).message}`,
    );
  }
  const regionCheck = regionSchema.safeParse(region);
  if (!regionCheck.success) {
    const issue = regionCheck.error.issues[0];
    throw new UserInputError(
      `workload plugin ${origin}: region(defaults).${issue.path.join(".") || "(result)"}: ${issue.message}`,
    );
  }
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1) {
    throw new UserInputError(
      `workload plugin ${origin}: threads(defaults, 16) must be a positive integer; got ${String(threads)}.`,
    );
  }
  return module;
}

/**
 * Loads a workload plugin from a file; its default export must be `defineWorkload({...})`.
 * TypeScript files load through tsx (as the CLI runs). Every failure is a UserInputError
 * that names the file and the problem.
 */
export function loadWorkloadPlugin(path: string): Promise<WorkloadModule> {
  return WORKLOADS.load(path);
}

/** The workload registry: the built-ins and plugin files (`defineWorkload({ ... })`). */
export const WORKLOADS = new kit.Registry<WorkloadModule>(
  {
    noun: "workload",
    folder: "workloads",
    define: "defineWorkload({ ... })",
    validate: validateWorkloadModule,
  },
  BUILTIN_WORKLOAD_NAMES.map((name) => BUILTIN_WORKLOADS[name]),
);

/** The built-ins, then the workloads of `plugins` (paths), checked for clashing names. */
export function workloadCatalog(plugins: readonly string[] = []): Promise<ResolvedWorkload[]> {
  return WORKLOADS.catalog(plugins);
}

/**
 * The workloads a command asks for, in the order asked. Each entry is a built-in name, the
 * name of a workload in `plugins`, or a plugin path. An empty list selects the whole
 * catalog. Unknown names suggest the nearest valid name; the same workload twice, or two
 * workloads with one name, is a UserInputError.
 */
export async function resolveWorkloads(
  namesOrPaths: readonly string[],
  plugins: readonly string[] = [],
): Promise<ResolvedWorkload[]> {
  const catalog = await workloadCatalog(plugins);
  if (namesOrPaths.length === 0) {
    return catalog.filter(
      (entry) => entry.source !== "built-in" || !EXPERIMENT_WORKLOADS.has(entry.module.name),
    );
  }
  return WORKLOADS.select(catalog, namesOrPaths);
}

/** A module's parameter specs, with the stray parameters added when it does not declare them. */
export function workloadParamSpecs<P extends OptionSpecs>(module: WorkloadModule<P>): OptionSpecs {
  const specs: Record<string, OptionSpec> = { ...module.params };
  for (const [name, spec] of Object.entries(STRAY_PARAMS)) specs[name] ??= spec;
  return specs;
}

/**
 * Resolves a workload's parameters: defaults filled in; an unknown key, a wrong type, a
 * value out of range or outside its choices is a UserInputError naming the workload, the
 * parameter and the valid choices. Integer-valued parameters (integer default, unit other
 * than "ratio") must be given integers; `stray_mix` must name known stray classes.
 */
export function resolveWorkloadParams<P extends OptionSpecs>(
  module: WorkloadModule<P>,
  given?: Readonly<Record<string, unknown>>,
): OptionValuesOf<P>;
export function resolveWorkloadParams(
  module: WorkloadModule,
  given?: Readonly<Record<string, unknown>>,
): OptionValues;
export function resolveWorkloadParams<P extends OptionSpecs>(
  module: WorkloadModule<P>,
  given: Readonly<Record<string, unknown>> = {},
): OptionValuesOf<P> {
  const specs = workloadParamSpecs(module);
  const values = resolveOptions("workload", module.name, specs, given);
  for (const [key, spec] of Object.entries(specs)) {
    const value = values[key];
    if (
      optionKind(spec) === "number" &&
      Number.isInteger(spec.default) &&
      spec.unit !== "ratio" &&
      !Number.isInteger(value)
    ) {
      throw new UserInputError(
        `workload ${module.name}: parameter "${key}" must be a whole number (${spec.unit}); got ${String(value)}.`,
      );
    }
  }
  if (typeof values.stray_mix === "string") parseStrayMix(values.stray_mix);
  // `specs` holds every spec of P (and the stray parameters), so `values` has P's shape.
  return values as OptionValuesOf<P>;
}

/** JSON-able description of one parameter. */
export type WorkloadParamMetadata = kit.OptionMetadata;

/** JSON-able metadata of a workload, for `pkslab list --json` / `describe --json`. */
export interface WorkloadMetadata extends kit.ModuleIdentity {
  readonly params: Record<string, WorkloadParamMetadata>;
  /** The region at the default parameters. */
  readonly region: {
    pages: number;
    keyMode: string;
    contiguous: boolean;
    memory: "ram" | "device";
  };
  /** Threads at the default parameters on a 16-CPU machine. */
  readonly threadsAt16Cpus: number;
}

/** The metadata of a workload as plain data. */
export function workloadMetadata(module: WorkloadModule, source = "built-in"): WorkloadMetadata {
  const params = kit.optionMetadata(workloadParamSpecs(module));
  const defaults = resolveWorkloadParams(module);
  const region = module.region(defaults);
  return {
    ...kit.moduleIdentity(module, source),
    params,
    region: {
      pages: region.pages,
      keyMode: region.keyMode,
      contiguous: region.contiguous,
      memory: region.memory ?? "ram",
    },
    threadsAt16Cpus: module.threads(defaults, 16),
  };
}

/** Human-readable metadata of a workload, for `pkslab describe <workload>`. */
export function describeWorkload(module: WorkloadModule, source = "built-in"): string {
  const meta = workloadMetadata(module, source);
  const where = source === "built-in" ? "built-in" : `plugin ${source}`;
  const out = [
    `${meta.name} ${meta.version} (${where})`,
    `  ${meta.summary}`,
    "",
    `  citation: ${meta.citation}`,
    `  region at defaults: ${meta.region.pages} pages, ${meta.region.keyMode}, ${meta.region.contiguous ? "physically contiguous" : "scattered"}, ${meta.region.memory === "device" ? "device memory (memremap_pages)" : "RAM"}`,
    `  threads at defaults on 16 CPUs: ${meta.threadsAt16Cpus}`,
    "",
    "  parameters:",
  ];
  out.push(...kit.describeOptionLines(meta.params));
  return `${out.join("\n")}\n`;
}
