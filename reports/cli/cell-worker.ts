/**
 * Worker side of a parallel comparison (tinypool): runs one (workload, strategy) cell over
 * all seeds. The worker rebuilds the strategy and workload from the resolved configuration
 * (built-ins by name, plugins by path, with their options, parameters and cost overrides),
 * so a cell computes exactly what it would in the main thread.
 */
import { type CellResult, runComparison } from "../../core/compare.ts";
import type { CostProfile } from "../../core/profile.ts";
import { attachWatch } from "../../core/watchdog.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import { BUILTIN_STRATEGIES, loadStrategyPlugin } from "../../strategies/registry.ts";
import type { WorkloadModule } from "../../workloads/api.ts";
import { BUILTIN_WORKLOADS, loadWorkloadPlugin } from "../../workloads/registry.ts";
import type { ResolvedConfig } from "../results.ts";
import { strayEveryFor, withCostOverrides } from "./plan.ts";

/** One unit of work: a cell of a resolved configuration. */
export interface CellTask {
  readonly config: ResolvedConfig;
  readonly profile: CostProfile;
  readonly workload: number;
  readonly strategy: number;
  /** Run the invariant checker (`--check`). */
  readonly checkInvariants?: boolean;
  /** Operation budget per run (`--operation-budget`). */
  readonly operationBudget?: number;
  /** Only these seeds (a cell split by seed); all of the configuration's when absent. */
  readonly seeds?: readonly number[];
  /** Where to report the seed and hook in progress, for a watcher that may stop this thread. */
  readonly watch?: SharedArrayBuffer;
}

const strategyCache = new Map<string, StrategyModule>();
const workloadCache = new Map<string, WorkloadModule>();

async function strategyModule(
  entry: ResolvedConfig["strategies"][number],
): Promise<StrategyModule> {
  const key = `${entry.source}\u0000${entry.name}`;
  let module = strategyCache.get(key);
  if (!module) {
    module =
      entry.source === "built-in"
        ? BUILTIN_STRATEGIES[entry.name as keyof typeof BUILTIN_STRATEGIES]
        : await loadStrategyPlugin(entry.source);
    if (!module) throw new Error(`worker: unknown built-in strategy ${entry.name}`);
    strategyCache.set(key, module);
  }
  return module;
}

async function workloadModule(entry: ResolvedConfig["workloads"][number]): Promise<WorkloadModule> {
  const key = `${entry.source}\u0000${entry.name}`;
  let module = workloadCache.get(key);
  if (!module) {
    module =
      entry.source === "built-in"
        ? BUILTIN_WORKLOADS[entry.name as keyof typeof BUILTIN_WORKLOADS]
        : await loadWorkloadPlugin(entry.source);
    if (!module) throw new Error(`worker: unknown built-in workload ${entry.name}`);
    workloadCache.set(key, module);
  }
  return module;
}

/** Runs one cell (the tinypool entry point). */
export default async function runCellTask(task: CellTask): Promise<CellResult> {
  const strategyEntry = task.config.strategies[task.strategy];
  const workloadEntry = task.config.workloads[task.workload];
  const strategy = withCostOverrides(
    await strategyModule(strategyEntry),
    strategyEntry.costOverrides,
  );
  const workload = await workloadModule(workloadEntry);
  attachWatch(task.watch);
  try {
    return runCell(task, strategy, workload);
  } finally {
    attachWatch(undefined);
  }
}

function runCell(task: CellTask, strategy: StrategyModule, workload: WorkloadModule): CellResult {
  const strategyEntry = task.config.strategies[task.strategy];
  const workloadEntry = task.config.workloads[task.workload];
  const [cell] = runComparison({
    strategies: [{ module: strategy, options: strategyEntry.options }],
    workloads: [{ module: workload, params: workloadEntry.params }],
    seeds: task.seeds ?? task.config.seeds,
    machine: task.config.machine,
    profile: task.profile,
    strayEvery: strayEveryFor(task.config, workloadEntry.params),
    checkInvariants: task.checkInvariants,
    operationBudget: task.operationBudget,
  });
  return cell;
}
