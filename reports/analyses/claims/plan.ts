/**
 * What the claims run: the strategies and workloads a claim may name, the small streams
 * they run, and the comparison plan of a set of claims on a configuration and a variant of
 * its cost parameters. Shared by evaluate.ts (in this thread) and claims-run.ts (a
 * runner task), so that a cell is the same wherever it runs.
 */
import type { CellResult, ComparisonPlan } from "../../../core/compare.ts";
import { runComparison, runLimitsOf } from "../../../core/compare.ts";
import type { OptionValues } from "../../../core/contract/options.ts";
import { DEFAULT_MACHINE, type MachineConfig } from "../../../core/machine/index.ts";
import { type CostProfile, loadProfile, overrideProfile } from "../../../core/profile.ts";
import type { StrategyModule } from "../../../strategies/api.ts";
import { COUNTERFACTUAL_STRATEGIES } from "../../../strategies/counterfactual/index.ts";
import { BUILTIN_STRATEGIES, resolveStrategyOptions } from "../../../strategies/registry.ts";
import type { WorkloadModule } from "../../../workloads/api.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../../../workloads/registry.ts";
import { CLAIM_WORKLOADS, type Claim } from "./claims.ts";

/** Mean operations between injected strays in every claims run. */
export const CLAIMS_STRAY_EVERY = 20;

/**
 * Strategies a claim may name: the built-ins and the counterfactuals (set-memory-ro,
 * page-address; strategies/counterfactual/).
 */
export const CLAIM_STRATEGIES: Readonly<Record<string, StrategyModule>> = {
  ...BUILTIN_STRATEGIES,
  ...COUNTERFACTUAL_STRATEGIES,
};

/**
 * Small streams so that the robustness sweep (dozens of profile variants) stays within a
 * minute or two: each workload's own size parameter, reduced; everything else default.
 */
export const CLAIM_WORKLOAD_PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  "pmem-dax": { requests: 60 },
  "pagetable-protect": { ops: 12 },
  "btrfs-metadata": { searches: 10 },
  "btrfs-debug-ro": { searches: 10 },
  "pagecache-io": { requests: 30 },
  "long-term-map": { records: 64 },
  "cross-cpu-handoff": { items: 60 },
  "preempt-migrate": { sections: 15 },
  "xpfo-churn": { allocations: 40 },
  "vmap-churn": { loops: 50 },
};

export interface ClaimsConfig {
  readonly profile: CostProfile;
  readonly cpus: number;
  readonly seeds: readonly number[];
}

export const DEFAULT_CLAIMS_CPUS = 4;

export function defaultClaimsConfig(profile: CostProfile = loadProfile()): ClaimsConfig {
  return { profile, cpus: DEFAULT_CLAIMS_CPUS, seeds: [1] };
}

/** The workloads and strategies a set of claims reads. */
export function claimNeeds(claims: readonly Claim[]): {
  workloads: string[];
  strategies: string[];
} {
  const workloads = new Set<string>();
  const strategies = new Set<string>();
  for (const claim of claims) {
    for (const w of claim.workloads === "all" ? CLAIM_WORKLOADS : claim.workloads) workloads.add(w);
    for (const s of claim.strategies) strategies.add(s);
  }
  const order = (list: readonly string[], set: Set<string>) => [
    ...list.filter((x) => set.has(x)),
    ...[...set].filter((x) => !list.includes(x)).sort(),
  ];
  return {
    workloads: order(CLAIM_WORKLOADS, workloads),
    strategies: order(Object.keys(CLAIM_STRATEGIES), strategies),
  };
}

export function workloadModule(name: string): WorkloadModule {
  const module = (BUILTIN_WORKLOADS as Record<string, WorkloadModule>)[name];
  if (!module) throw new Error(`claims: unknown workload ${name}`);
  return module;
}

export function strategyModule(name: string): StrategyModule {
  const module = CLAIM_STRATEGIES[name];
  if (!module) throw new Error(`claims: unknown strategy ${name}`);
  return module;
}

/** The comparison plan of a set of claims (one shared run of every cell they read). */
export function claimsPlan(claims: readonly Claim[], config: ClaimsConfig): ComparisonPlan {
  const needs = claimNeeds(claims);
  return {
    strategies: needs.strategies.map((name) => {
      const module = strategyModule(name);
      return { module, options: resolveStrategyOptions(module) };
    }),
    workloads: needs.workloads.map((name) => {
      const module = workloadModule(name);
      return { module, params: resolveWorkloadParams(module, CLAIM_WORKLOAD_PARAMS[name] ?? {}) };
    }),
    seeds: config.seeds,
    machine: { ...DEFAULT_MACHINE, cpus: config.cpus },
    profile: config.profile,
    strayEvery: CLAIMS_STRAY_EVERY,
  };
}

/** The (workload, strategy) pairs the claims read: only those cells are run. */
export function claimCells(claims: readonly Claim[]): Map<string, Set<string>> {
  const pairs = new Map<string, Set<string>>();
  for (const claim of claims) {
    for (const w of claim.workloads === "all" ? CLAIM_WORKLOADS : claim.workloads) {
      const set = pairs.get(w) ?? new Set<string>();
      for (const s of claim.strategies) set.add(s);
      pairs.set(w, set);
    }
  }
  return pairs;
}

/** One variant of the robustness sweep: profile values and strategy cost values changed. */
export interface ProfileVariant {
  readonly label: string;
  /** Profile parameter values changed from the profile. */
  readonly changes: Readonly<Record<string, number>>;
  /** Strategy cost parameters changed, by strategy name (costs a strategy declares itself). */
  readonly strategyCosts?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** A strategy module with some of its declared cost values replaced. */
export function withStrategyCosts(
  module: StrategyModule,
  values: Readonly<Record<string, number>> | undefined,
): StrategyModule {
  if (!values || Object.keys(values).length === 0) return module;
  const costs = { ...module.costs };
  for (const [name, value] of Object.entries(values)) {
    costs[name] = { ...costs[name], value, confidence: "unverified" };
  }
  return { ...module, costs };
}

/** Applies a variant to a plan: profile overrides and strategy cost overrides. */
export function applyVariant(plan: ComparisonPlan, variant: ProfileVariant): ComparisonPlan {
  return {
    ...plan,
    profile: overrideProfile(plan.profile, variant.changes),
    strategies: plan.strategies.map((s) => ({
      ...s,
      module: withStrategyCosts(s.module, variant.strategyCosts?.[s.module.name]),
    })),
  };
}

/**
 * One cell, fully resolved, as plain data (a runner task's input, and the content of the
 * run cache's key): the workload and its parameters, the strategy with its options and
 * cost parameters, the machine, the cost profile, the seeds and the run's settings.
 */
export interface CellSpec extends RunSettings {
  readonly workload: string;
  readonly params: OptionValues;
  readonly strategy: string;
  readonly options: OptionValues;
  readonly costs: StrategyModule["costs"];
}

/** What a cell runs on besides its workload and strategy: the same for every cell of a plan. */
export interface RunSettings {
  readonly machine: MachineConfig;
  readonly profile: CostProfile;
  readonly seeds: readonly number[];
  readonly strayEvery: number;
  readonly operationBudget?: number;
  readonly checkInvariants?: boolean;
}

/** The run settings of `from` alone (a plan, a request or a spec), optional ones only when set. */
export function runSettingsOf(from: RunSettings): RunSettings {
  return {
    machine: from.machine,
    profile: from.profile,
    seeds: from.seeds,
    strayEvery: from.strayEvery,
    ...runLimitsOf(from),
  };
}

/**
 * The cell of a spec, as runComparison gives it: of the built-in modules named (the costs
 * replaced by the spec's), or of the given modules (a plugin's, run in this thread).
 */
export function runCellSpec(
  spec: CellSpec,
  workload: WorkloadModule = workloadModule(spec.workload),
  strategy: StrategyModule = { ...strategyModule(spec.strategy), costs: spec.costs },
): CellResult {
  const [cell] = runComparison({
    strategies: [{ module: strategy, options: spec.options }],
    workloads: [{ module: workload, params: spec.params }],
    ...runSettingsOf(spec),
  });
  return cell;
}
