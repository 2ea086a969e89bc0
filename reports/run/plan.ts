/**
 * From merged compare options to a fully resolved comparison: strategies and workloads
 * (built-ins and plugins), their options and parameters after `--set`, the machine, the
 * cost profile after overrides, the seeds, and the command line that reproduces it.
 */

import { existsSync } from "node:fs";
import { hostname } from "node:os";
import {
  type CellResult,
  type PlannedStrategy,
  type PlannedWorkload,
  runComparison,
  seedList,
} from "../../core/compare.ts";
import { DEFAULT_STRAY_EVERY } from "../../core/contract/stray.ts";
import { UserInputError, unknownChoiceError } from "../../core/errors.ts";
import {
  DEFAULT_MACHINE,
  type MachineConfig,
  resolveMachineConfig,
  validateMachineConfig,
} from "../../core/machine/index.ts";
import {
  ARCHS,
  type Arch,
  MACHINE_PARAMS,
  machineParamName,
  parseMachineParam,
} from "../../core/machine/params.ts";
import {
  type CostProfile,
  DEFAULT_PROFILE,
  loadProfile,
  overrideProfile,
} from "../../core/profile.ts";
import { hasPluginExtension, loadPluginExport } from "../../core/registry.ts";
import type { OptionValues, StrategyModule } from "../../strategies/api.ts";
import {
  type ResolvedStrategy,
  resolveStrategies,
  resolveStrategyOptions,
} from "../../strategies/registry.ts";
import type { WorkloadModule } from "../../workloads/api.ts";
import {
  type ResolvedWorkload,
  resolveWorkloadParams,
  resolveWorkloads,
} from "../../workloads/registry.ts";
import type { ResolvedConfig } from "../results.ts";
import { type Assignment, type CompareOptions, DEFAULT_BASELINE } from "./config.ts";
import { checkRunFits } from "./estimate.ts";

/** A resolved comparison, ready to run. */
export interface ResolvedComparison {
  readonly strategies: readonly PlannedStrategy[];
  readonly workloads: readonly PlannedWorkload[];
  readonly machine: MachineConfig;
  readonly profile: CostProfile;
  readonly config: ResolvedConfig;
  readonly reproduce: string;
  /** Run the invariant checker (`--check`): a cell with a violation fails. */
  readonly checkInvariants?: boolean;
  /** Operation budget per run (`--operation-budget`); the engine's default when absent. */
  readonly operationBudget?: number;
}

/** Whether a plugin file default-exports a strategy or a workload (by its hooks). */
async function pluginKind(path: string): Promise<"strategy" | "workload"> {
  // A missing file or a wrong ending: the strategy loader names the problem.
  if (!existsSync(path) || !hasPluginExtension(path)) return "strategy";
  // Its kind is unknown until it loads, so the messages claim none.
  const exported = await loadPluginExport(
    path,
    "plugin",
    "defineStrategy({ ... })` or `export default defineWorkload({ ... })",
  );
  return exported !== null && typeof exported === "object" && "generate" in exported
    ? "workload"
    : "strategy";
}

/** Splits `--plugin` files into strategy plugins and workload plugins. */
export async function classifyPlugins(
  plugins: readonly string[],
): Promise<{ strategies: string[]; workloads: string[] }> {
  const strategies: string[] = [];
  const workloads: string[] = [];
  for (const path of plugins) {
    ((await pluginKind(path)) === "workload" ? workloads : strategies).push(path);
  }
  return { strategies, workloads };
}

/** The strategies and workloads a run selects: built-ins, --plugin files (sorted by kind) and paths. */
async function selectModules(options: CompareOptions): Promise<{
  strategies: ResolvedStrategy[];
  workloads: ResolvedWorkload[];
}> {
  const plugins = await classifyPlugins(options.plugins);
  // The machine's architecture decides which architecture-specific built-ins the default
  // selection includes (a bad value is the usual --set machine error, exit 2).
  const archSet = options.assignments.filter(
    (assignment) =>
      assignment.target === "machine" && machineParamName(assignment.param) === "arch",
  );
  const arch =
    archSet.length > 0
      ? (parseMachineParam("arch", archSet[archSet.length - 1].value) as Arch)
      : "x86-64";
  const strategies = await resolveStrategies(options.strategies, plugins.strategies, arch);
  const workloads = await resolveWorkloads(options.workloads, plugins.workloads);
  return { strategies, workloads };
}

function profileOverrides(assignments: readonly Assignment[]): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const { param, value } of assignments) {
    const number = typeof value === "number" ? value : Number(value);
    if (
      typeof value === "boolean" ||
      (typeof value === "string" && value.trim() === "") ||
      !Number.isFinite(number)
    ) {
      throw new UserInputError(`--set profile.${param}: "${String(value)}" is not a number.`);
    }
    overrides[param] = number;
  }
  return overrides;
}

/** A strategy whose declared cost parameters are replaced by `--set strategy.cost=V`. */
export function withCostOverrides(
  module: StrategyModule,
  overrides: Readonly<Record<string, number>>,
): StrategyModule {
  if (Object.keys(overrides).length === 0) return module;
  const costs = { ...module.costs };
  for (const [name, value] of Object.entries(overrides)) {
    const original = costs[name];
    if (!Number.isFinite(value) || value < 0) {
      throw new UserInputError(
        `--set ${module.name}.${name}: ${value} is not a finite non-negative number.`,
      );
    }
    costs[name] = {
      ...original,
      value,
      confidence: "unverified",
      source: `set on the command line (declared value ${original.value} ${original.unit}: ${original.source})`,
    };
  }
  return { ...module, costs };
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function valueText(value: number | boolean | string): string {
  return String(value);
}

/** Longest comma list one flag of a reproduce line carries (lines then wrap at spaces). */
const LIST_WORD = 40;

/** `--flag a,b --flag c,d`: the list in pieces of at most LIST_WORD characters (flags join). */
export function pushList(words: string[], flag: string, names: readonly string[]): void {
  let piece = "";
  for (const name of names) {
    if (piece !== "" && piece.length + 1 + name.length > LIST_WORD) {
      words.push(flag, piece);
      piece = name;
    } else piece = piece === "" ? name : `${piece},${name}`;
  }
  if (piece !== "" || names.length === 0) words.push(flag, piece);
}

/** The `npx pkslab compare ...` command line that reruns a resolved configuration. */
export function reproduceCommand(
  config: ResolvedConfig,
  defaults: {
    strategyOptions: Readonly<Record<string, OptionValues>>;
    workloadParams: Readonly<Record<string, OptionValues>>;
    /** Machine fields that differ from their defaults (`--set machine.<field>=<value>`). */
    machine?: Readonly<Record<string, number | boolean | string>>;
  },
): string {
  const words = ["npx", "pkslab", "compare"];
  const plugins = [
    ...config.strategies.map((s) => s.source),
    ...config.workloads.map((w) => w.source),
  ].filter((source) => source !== "built-in");
  for (const plugin of plugins) words.push("--plugin", plugin);
  pushList(
    words,
    "--strategies",
    config.strategies.map((s) => s.name),
  );
  pushList(
    words,
    "--workloads",
    config.workloads.map((w) => w.name),
  );
  words.push("--cpus", String(config.machine.cpus));
  const seeds = config.seeds;
  words.push("--seeds", String(seeds.length), "--seed", String(seeds[0] ?? 1));
  words.push("--profile", config.profile);
  if (config.strayEvery !== null) words.push("--stray-every", String(config.strayEvery));
  words.push("--baseline", config.baseline);
  for (const workload of config.workloads) {
    const base = defaults.workloadParams[workload.name] ?? {};
    for (const [param, value] of Object.entries(workload.params)) {
      if (param === "stray_every" && config.strayEvery !== null) continue;
      if (base[param] !== value)
        words.push("--set", `${workload.name}.${param}=${valueText(value)}`);
    }
  }
  for (const strategy of config.strategies) {
    const base = defaults.strategyOptions[strategy.name] ?? {};
    for (const [option, value] of Object.entries(strategy.options)) {
      if (base[option] !== value)
        words.push("--set", `${strategy.name}.${option}=${valueText(value)}`);
    }
    for (const [cost, value] of Object.entries(strategy.costOverrides)) {
      words.push("--set", `${strategy.name}.${cost}=${value}`);
    }
  }
  for (const [param, value] of Object.entries(config.profileOverrides)) {
    words.push("--set", `profile.${param}=${value}`);
  }
  for (const [field, value] of Object.entries(defaults.machine ?? {})) {
    const text = field === "directMapLeaf" ? String(value).toUpperCase() : String(value);
    words.push("--set", `machine.${field}=${text}`);
  }
  return words.map(shellQuote).join(" ");
}

/**
 * Refuses a workload whose ranges cannot fit its protected region: every parameter measured
 * in pages (a request, a ring, a mapping, a batch) must be at most the region's pages.
 */
export function checkRangesFitRegion(module: WorkloadModule, params: OptionValues): void {
  let pages: number;
  try {
    pages = module.region(params).pages;
  } catch (error) {
    throw new UserInputError(
      `workload ${module.name}: region() throws at these parameters: ${(error as Error).message}`,
    );
  }
  const regionParam = Object.hasOwn(module.params, "region_pages") ? "region_pages" : "pages";
  for (const [name, spec] of Object.entries(module.params)) {
    if (name === regionParam || spec.unit !== "pages") continue;
    const value = params[name];
    if (typeof value === "number" && value > pages) {
      throw new UserInputError(
        `workload ${module.name}: ${name} = ${value} pages is larger than the protected region (${regionParam} = ${pages} pages); set ${name} to at most ${pages} or enlarge ${regionParam}.`,
      );
    }
  }
}

/** Resolves merged options into a runnable comparison; every bad input is a UserInputError. */
export async function resolveComparison(options: CompareOptions): Promise<ResolvedComparison> {
  const { strategies, workloads } = await selectModules(options);

  // Route the --set assignments to their targets.
  const targets = [
    "profile",
    "machine",
    ...workloads.map((w) => w.module.name),
    ...strategies.map((s) => s.module.name),
  ];
  const byTarget = new Map<string, Assignment[]>();
  for (const assignment of options.assignments) {
    if (!targets.includes(assignment.target)) {
      throw unknownChoiceError(
        "--set target (a selected workload, a selected strategy, machine or profile)",
        assignment.target,
        targets,
      );
    }
    const list = byTarget.get(assignment.target) ?? [];
    list.push(assignment);
    byTarget.set(assignment.target, list);
  }

  const overrides = profileOverrides(byTarget.get("profile") ?? []);
  const baseProfile = loadProfile(options.profile ?? DEFAULT_PROFILE);
  const profile = overrideProfile(baseProfile, overrides);

  const machineSet: Record<string, unknown> = {};
  for (const { param, value } of byTarget.get("machine") ?? []) {
    machineSet[machineParamName(param)] = parseMachineParam(param, value);
  }
  if ((machineSet.arch ?? "x86-64") === "x86-64") {
    const misplaced = MACHINE_PARAMS.filter(
      (spec) => spec.offDefaultArch && spec.name !== "arch" && machineSet[spec.name] !== undefined,
    );
    if (misplaced.length > 0) {
      throw new UserInputError(
        `--set machine.${misplaced[0].name} applies only to machine.arch=x86-32-highmem (valid architectures: ${ARCHS.join(", ")}); add --set machine.arch=x86-32-highmem.`,
      );
    }
  }
  if (
    options.cpus !== undefined &&
    machineSet.cpus !== undefined &&
    machineSet.cpus !== options.cpus
  ) {
    throw new UserInputError(
      `--cpus ${options.cpus} and --set machine.cpus=${String(machineSet.cpus)} disagree; give the CPU count once.`,
    );
  }
  const cpus = options.cpus ?? (machineSet.cpus as number | undefined);
  const machineDefaults = resolveMachineConfig(
    { ...DEFAULT_MACHINE, ...(cpus !== undefined ? { cpus } : {}) },
    profile,
  );
  const machine: Required<MachineConfig> = resolveMachineConfig(
    { ...machineDefaults, ...machineSet, ...(cpus !== undefined ? { cpus } : {}) },
    profile,
  );
  try {
    validateMachineConfig(machine);
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`--cpus: ${(error as Error).message}`);
  }
  const machineOverrides: Record<string, number | boolean | string> = {};
  for (const [field, value] of Object.entries(machine)) {
    if (field === "cpus") continue;
    if ((machineDefaults as unknown as Record<string, unknown>)[field] !== value) {
      machineOverrides[field] = value as number | boolean | string;
    }
  }

  const defaultStrategyOptions: Record<string, OptionValues> = {};
  const plannedStrategies: PlannedStrategy[] = [];
  const configStrategies: ResolvedConfig["strategies"] = [];
  for (const { module, source } of strategies) {
    const given: Record<string, unknown> = {};
    const costOverrides: Record<string, number> = {};
    for (const { param, value } of byTarget.get(module.name) ?? []) {
      if (Object.hasOwn(module.options, param)) given[param] = value;
      else if (Object.hasOwn(module.costs, param)) {
        const number = typeof value === "number" ? value : Number(value);
        if (typeof value === "boolean" || (typeof value === "string" && value.trim() === "")) {
          throw new UserInputError(
            `--set ${module.name}.${param}: "${String(value)}" is not a number.`,
          );
        }
        costOverrides[param] = number;
      } else {
        throw unknownChoiceError(`option or cost parameter of strategy ${module.name}`, param, [
          ...Object.keys(module.options),
          ...Object.keys(module.costs),
        ]);
      }
    }
    const resolvedOptions = resolveStrategyOptions(module, given);
    defaultStrategyOptions[module.name] = resolveStrategyOptions(module);
    plannedStrategies.push({
      module: withCostOverrides(module, costOverrides),
      options: resolvedOptions,
    });
    configStrategies.push({
      name: module.name,
      version: module.version,
      source,
      options: { ...resolvedOptions },
      costOverrides,
    });
  }

  const defaultWorkloadParams: Record<string, OptionValues> = {};
  const plannedWorkloads: PlannedWorkload[] = [];
  const configWorkloads: ResolvedConfig["workloads"] = [];
  for (const { module, source } of workloads) {
    const given: Record<string, unknown> = {};
    for (const { param, value } of byTarget.get(module.name) ?? []) given[param] = value;
    // --stray-every sets every workload's own stray_every parameter (the engine reads it).
    if (options.strayEvery !== undefined) given.stray_every = options.strayEvery;
    const params = resolveWorkloadParams(module, given);
    checkRangesFitRegion(module, params);
    defaultWorkloadParams[module.name] = resolveWorkloadParams(module);
    plannedWorkloads.push({ module, params });
    configWorkloads.push({
      name: module.name,
      version: module.version,
      source,
      params: { ...params },
    });
  }

  const names = strategies.map((s) => s.module.name);
  let baseline = options.baseline ?? DEFAULT_BASELINE;
  if (!names.includes(baseline)) {
    if (options.baseline !== undefined)
      throw unknownChoiceError(
        "baseline strategy (one of the selected strategies)",
        baseline,
        names,
      );
    baseline = names[0];
  }

  if (!Number.isInteger(options.seeds) || options.seeds < 1) {
    throw new UserInputError(`--seeds must be a positive whole number; got ${options.seeds}.`);
  }
  if (
    options.strayEvery !== undefined &&
    (!Number.isFinite(options.strayEvery) || options.strayEvery < 0)
  ) {
    throw new UserInputError(
      `--stray-every must be a non-negative number; got ${options.strayEvery}.`,
    );
  }

  if (
    options.operationBudget !== undefined &&
    (!Number.isSafeInteger(options.operationBudget) || options.operationBudget < 1)
  ) {
    throw new UserInputError(
      `--operation-budget must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}; got ${options.operationBudget}.`,
    );
  }

  // Before the seed list is built: a run whose results cannot fit is refused with its size.
  checkRunFits({
    cells: plannedStrategies.length * plannedWorkloads.length,
    seeds: options.seeds,
    what: `--seeds ${options.seeds}`,
  });
  const config: ResolvedConfig = {
    strategies: configStrategies,
    workloads: configWorkloads,
    machine: { ...machine },
    seeds: seedList(options.seed, options.seeds),
    baseline,
    strayEvery: options.strayEvery ?? null,
    profile: options.profile ?? DEFAULT_PROFILE,
    profileOverrides: overrides,
  };
  let reproduce = reproduceCommand(config, {
    strategyOptions: defaultStrategyOptions,
    workloadParams: defaultWorkloadParams,
    machine: machineOverrides,
  });
  // Not part of the result's configuration (they do not change an ok cell's numbers), but
  // they decide which cells fail, so the command line that reproduces the report names them.
  if (options.check) reproduce += " --check";
  if (options.operationBudget !== undefined)
    reproduce += ` --operation-budget ${options.operationBudget}`;
  if (options.cellTimeout !== undefined && !options.cellTimeout.setting.startsWith("the default"))
    reproduce += ` --cell-timeout ${options.cellTimeout.ms / 1000}`;
  if (options.cellMemory !== undefined && !options.cellMemory.setting.startsWith("the default"))
    reproduce += ` --cell-memory ${options.cellMemory.mb}`;
  return {
    strategies: plannedStrategies,
    workloads: plannedWorkloads,
    machine,
    profile,
    config,
    reproduce,
    ...(options.check ? { checkInvariants: true } : {}),
    ...(options.operationBudget !== undefined ? { operationBudget: options.operationBudget } : {}),
  };
}

/** The stray-injection interval a workload runs with: the global override or its own parameter. */
export function strayEveryFor(config: ResolvedConfig, params: OptionValues): number {
  if (config.strayEvery !== null) return config.strayEvery;
  return typeof params.stray_every === "number" ? params.stray_every : DEFAULT_STRAY_EVERY;
}

/**
 * Runs every cell, workload-major. Each workload runs with its own stray interval (its
 * `stray_every` parameter unless `--stray-every` overrides it for all).
 */
export function runResolved(
  comparison: ResolvedComparison,
  onCell?: (done: number, total: number) => void,
): CellResult[] {
  const cells: CellResult[] = [];
  const total = comparison.workloads.length * comparison.strategies.length;
  for (const workload of comparison.workloads) {
    const done = cells.length;
    cells.push(
      ...runComparison(
        {
          strategies: comparison.strategies,
          workloads: [workload],
          seeds: comparison.config.seeds,
          machine: comparison.machine,
          profile: comparison.profile,
          strayEvery: strayEveryFor(comparison.config, workload.params),
          checkInvariants: comparison.checkInvariants,
          operationBudget: comparison.operationBudget,
        },
        (cell) => onCell?.(done + cell, total),
      ),
    );
  }
  return cells;
}

/** The pkslab checkout's git commit, with `-dirty` when tracked files have changes. */
export { gitCommit } from "../provenance.ts";

/**
 * `context.run` of a result written now: the date (left out with `--no-date`, so that two
 * runs of one configuration on one host give byte-identical files), the host and Node.
 */
export function runContext(dated: boolean): { date?: string; host: string; node: string } {
  return {
    ...(dated ? { date: new Date().toISOString() } : {}),
    host: hostname(),
    node: process.version,
  };
}
