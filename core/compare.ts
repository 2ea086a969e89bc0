import type { OptionValues } from "./contract/options.ts";
import type { StrategyModule } from "./contract/strategy.ts";
import type { WorkloadModule } from "./contract/workload.ts";
import {
  NOTHING_SERVED,
  type RunMetrics,
  type RunStatus,
  runSimulation,
  type ServedCounts,
  worseStatus,
} from "./engine/index.ts";
import type { MachineConfig } from "./machine/index.ts";
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

/** The optional limits of a run: the operation budget and the invariant checker. */
export type RunLimits = Pick<ComparisonPlan, "operationBudget" | "checkInvariants">;

/**
 * The limits of `from` that are set, and only those: a plan, task or spec that sets
 * neither has no key for either, so that specs compare (and hash) alike.
 */
export function runLimitsOf(from: RunLimits): RunLimits {
  return {
    ...(from.checkInvariants ? { checkInvariants: true } : {}),
    ...(from.operationBudget !== undefined ? { operationBudget: from.operationBudget } : {}),
  };
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
  /** The worst status of its seed runs (a failed seed fails the cell). */
  readonly status: RunStatus;
  /** One line: why the cell is not ok, with the counts. */
  readonly reason?: string;
  /** What the strategy served, summed over the seeds that ran. */
  readonly served: ServedCounts;
  /** The strategy's own distinct reasons, in seed order (what `reason` is built from). */
  readonly notes?: readonly string[];
  readonly runs: readonly SeedRun[];
}

/** Default seeds of a comparison: `count` consecutive values from `base`. */
export function seedList(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

/**
 * Runs every cell of the plan, workload-major, in a fixed order (so that results are
 * deterministic). A cell whose strategy throws fails alone with `status: failed`.
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

/** Sum of two served counts. */
export function addServed(a: ServedCounts, b: ServedCounts): ServedCounts {
  return {
    maps: a.maps + b.maps,
    refusedMaps: a.refusedMaps + b.refusedMaps,
    refusedUnmaps: a.refusedUnmaps + b.refusedUnmaps,
    brokenAccesses: a.brokenAccesses + b.brokenAccesses,
    oopses: a.oopses + b.oopses,
    skippedAccesses: a.skippedAccesses + b.skippedAccesses,
    refusedPageMoves: a.refusedPageMoves + b.refusedPageMoves,
  };
}

/**
 * The one-line reason of a cell that is not ok: what was refused or broken, with counts
 * summed over its seeds, then the strategy's own reasons.
 */
export function servedReason(
  status: RunStatus,
  served: ServedCounts,
  reasons: readonly string[],
): string | undefined {
  if (status === "ok") return reasons.length > 0 ? reasons.join("; ") : undefined;
  const parts: string[] = [];
  if (served.oopses > 0) parts.push(`${served.oopses} oops${served.oopses === 1 ? "" : "es"}`);
  if (served.refusedMaps > 0) parts.push(`refused ${served.refusedMaps} of ${served.maps} maps`);
  if (served.refusedUnmaps > 0) parts.push(`refused ${served.refusedUnmaps} unmaps`);
  if (served.brokenAccesses > 0) parts.push(`${served.brokenAccesses} broken accesses`);
  if (served.skippedAccesses > 0) parts.push(`${served.skippedAccesses} page accesses not done`);
  if (served.refusedPageMoves > 0) parts.push(`refused ${served.refusedPageMoves} page moves`);
  const counts = parts.join(", ");
  const why = reasons.join("; ");
  if (counts === "") return why || undefined;
  return why ? `${counts}: ${why}` : counts;
}

function runCell(
  plan: ComparisonPlan,
  workload: PlannedWorkload,
  strategy: PlannedStrategy,
): CellResult {
  const runs: SeedRun[] = [];
  const reasons = new Set<string>();
  let status: RunStatus = "ok";
  let served: ServedCounts = NOTHING_SERVED;
  const failed = (reason: string): CellResult => ({
    workload: workload.module.name,
    strategy: strategy.module.name,
    status: "failed",
    reason,
    served,
    runs,
  });
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
      return failed(`seed ${seed}: ${(error as Error).message}`);
    }
    if (result.violations && result.violations.length > 0) {
      return failed(
        `seed ${seed}: invariant violated: ${result.violations[0]}${result.violations.length > 1 ? ` (and ${result.violations.length - 1} more)` : ""}`,
      );
    }
    // A run that stopped before its end (operation budget) has no metrics: the cell fails.
    const finished = Object.keys(result.metrics).length > 0;
    if (result.status === "failed" && !finished) {
      return failed(`seed ${seed}: ${result.reason ?? "failed"}`);
    }
    served = addServed(served, result.served);
    if (result.reason) reasons.add(result.reason);
    status = worseStatus(status, result.status);
    // Runs that did not do all their work keep their raw metrics (anyone may recompute);
    // reports show no cost for them.
    if (finished) runs.push({ seed, metrics: result.metrics });
  }
  return {
    workload: workload.module.name,
    strategy: strategy.module.name,
    status,
    reason: servedReason(status, served, [...reasons]),
    notes: [...reasons],
    served,
    runs,
  };
}
