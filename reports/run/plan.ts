import { hostname } from "node:os";
import {
  type CellResult,
  type PlannedStrategy,
  type PlannedWorkload,
  runComparison,
  runLimitsOf,
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
import type { OptionValues } from "../../strategies/api.ts";
import { resolveStrategyOptions } from "../../strategies/registry.ts";
import type { WorkloadModule } from "../../workloads/api.ts";
import { resolveWorkloadParams } from "../../workloads/registry.ts";
import type { ResolvedConfig } from "../results/results.ts";
import { type Assignment, type CompareOptions, DEFAULT_BASELINE } from "./config.ts";
import { checkRunFits } from "./estimate.ts";
import { profileOverrides, selectModules, withCostOverrides } from "./modules.ts";
import { autoJobs, startWorkers } from "./pool.ts";
import { reproduceCommand } from "./reproduce.ts";

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
  // The run's workers load the model while this thread plans it (see startWorkers).
  const seedRuns = strategies.length * workloads.length * options.seeds;
  if (Number.isSafeInteger(seedRuns)) startWorkers(options.jobs ?? autoJobs(seedRuns));

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
    ...runLimitsOf({ checkInvariants: options.check, operationBudget: options.operationBudget }),
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
  const perWorkload = comparison.strategies.length;
  const total = comparison.workloads.length * perWorkload;
  return comparison.workloads.flatMap((workload, index) =>
    runComparison(
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
      (cell) => onCell?.(index * perWorkload + cell, total),
    ),
  );
}

/** The pkslab checkout's git commit, with `-dirty` when tracked files have changes. */
export { gitCommit } from "../results/provenance.ts";

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
