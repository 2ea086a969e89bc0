import type { OptionValues, StrategyModule } from "../strategies/api.ts";
import type { WorkloadModule } from "../workloads/api.ts";
import { type RunMetrics, runSimulation } from "./engine.ts";
import type { MachineConfig } from "./machine.ts";
import type { CostProfile } from "./profile.ts";
import { noteSeed } from "./watchdog.ts";

/** One strategy with its resolved options. */
export interface PlannedStrategy {
  readonly module: StrategyModule;
  readonly options: OptionValues;
}

/** One workload with its resolved parameters. */
export interface PlannedWorkload {
  readonly module: WorkloadModule;
  readonly params: OptionValues;
}

/** A fully resolved comparison: every (workload, strategy) cell runs once per seed. */
export interface ComparisonPlan {
  readonly strategies: readonly PlannedStrategy[];
  readonly workloads: readonly PlannedWorkload[];
  readonly seeds: readonly number[];
  readonly machine: MachineConfig;
  readonly profile: CostProfile;
  /** Mean operations between injected strays when the workload does not say (0 = off). */
  readonly strayEvery: number;
  readonly operationBudget?: number;
  /** Run the invariant checker; a cell with a violation fails with `status: error`. */
  readonly checkInvariants?: boolean;
}

/** Per-seed raw metrics of one cell. */
export interface SeedRun {
  readonly seed: number;
  readonly metrics: RunMetrics;
}

/** The outcome of one (workload, strategy) cell over all seeds. */
export interface CellResult {
  readonly workload: string;
  readonly strategy: string;
  readonly status: "ok" | "unsupported" | "error";
  readonly reason?: string;
  readonly runs: readonly SeedRun[];
}

/** Default seeds of a comparison: `count` consecutive values from `base`. */
export function seedList(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

/**
 * Runs every cell of the plan, workload-major, in a fixed order (so that results are
 * deterministic). A cell whose strategy throws fails alone with `status: error`.
 */
export function runComparison(
  plan: ComparisonPlan,
  onCell?: (done: number, total: number) => void,
): CellResult[] {
  const results: CellResult[] = [];
  const total = plan.workloads.length * plan.strategies.length;
  for (const workload of plan.workloads) {
    for (const strategy of plan.strategies) {
      results.push(runCell(plan, workload, strategy));
      onCell?.(results.length, total);
    }
  }
  return results;
}

function runCell(
  plan: ComparisonPlan,
  workload: PlannedWorkload,
  strategy: PlannedStrategy,
): CellResult {
  const runs: SeedRun[] = [];
  const reasons = new Set<string>();
  let status: CellResult["status"] = "ok";
  for (const seed of plan.seeds) {
    noteSeed(seed);
    let result: ReturnType<typeof runSimulation>;
    try {
      result = runSimulation({
        machine: plan.machine,
        profile: plan.profile,
        strategy: strategy.module,
        strategyOptions: strategy.options,
        workload: workload.module,
        workloadParams: workload.params,
        seed,
        strayEvery: plan.strayEvery,
        operationBudget: plan.operationBudget,
        checkInvariants: plan.checkInvariants,
      });
    } catch (error) {
      return {
        workload: workload.module.name,
        strategy: strategy.module.name,
        status: "error",
        reason: `seed ${seed}: ${(error as Error).message}`,
        runs,
      };
    }
    if (result.violations && result.violations.length > 0) {
      return {
        workload: workload.module.name,
        strategy: strategy.module.name,
        status: "error",
        reason: `seed ${seed}: invariant violated: ${result.violations[0]}${result.violations.length > 1 ? ` (and ${result.violations.length - 1} more)` : ""}`,
        runs,
      };
    }
    if (result.reason) reasons.add(result.reason);
    if (result.status === "error") {
      return {
        workload: workload.module.name,
        strategy: strategy.module.name,
        status: "error",
        reason: result.reason,
        runs,
      };
    }
    if (result.status === "unsupported") status = "unsupported";
    runs.push({ seed, metrics: result.metrics });
  }
  return {
    workload: workload.module.name,
    strategy: strategy.module.name,
    status,
    reason: reasons.size > 0 ? [...reasons].join("; ") : undefined,
    runs,
  };
}
