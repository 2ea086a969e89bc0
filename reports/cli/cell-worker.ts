/**
 * Worker side of a parallel comparison (tinypool): runs one (workload, strategy) cell over
 * all seeds. The worker rebuilds the strategy and workload from the resolved configuration
 * (built-ins by name, plugins by path, with their options, parameters and cost overrides),
 * so a cell computes exactly what it would in the main thread.
 */
import { type CellResult, runComparison } from "../../core/compare.ts";
import type { CostProfile } from "../../core/profile.ts";
import { attachWatch } from "../../core/watchdog.ts";
import { builtinStrategiesByName, loadStrategyPlugin } from "../../strategies/registry.ts";
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

/** Modules this worker has loaded, by kind, source and name (a worker runs many cells). */
const moduleCache = new Map<string, unknown>();

/** A built-in by name, or a plugin loaded once per worker from its path. */
async function cachedModule<M>(
  kind: string,
  entry: { readonly source: string; readonly name: string },
  builtins: Readonly<Record<string, M>>,
  load: (path: string) => Promise<M>,
): Promise<M> {
  const key = `${kind}\u0000${entry.source}\u0000${entry.name}`;
  if (moduleCache.has(key)) return moduleCache.get(key) as M;
  const module = entry.source === "built-in" ? builtins[entry.name] : await load(entry.source);
  if (!module) throw new Error(`worker: unknown built-in ${kind} ${entry.name}`);
  moduleCache.set(key, module);
  return module;
}

/** Runs one cell (the tinypool entry point). */
export default async function runCellTask(task: CellTask): Promise<CellResult> {
  const strategyEntry = task.config.strategies[task.strategy];
  const workloadEntry = task.config.workloads[task.workload];
  const strategy = withCostOverrides(
    await cachedModule("strategy", strategyEntry, builtinStrategiesByName(), loadStrategyPlugin),
    strategyEntry.costOverrides,
  );
  const workload = await cachedModule(
    "workload",
    workloadEntry,
    BUILTIN_WORKLOADS,
    loadWorkloadPlugin,
  );
  attachWatch(task.watch);
  try {
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
  } finally {
    attachWatch(undefined);
  }
}
