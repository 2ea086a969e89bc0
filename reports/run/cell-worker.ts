/**
 * Worker side of the runner (pool.ts, tinypool). A cell task runs one (workload, strategy)
 * cell over its seeds: the worker rebuilds the strategy and workload from the resolved
 * configuration (built-ins by name, plugins by path, with their options, parameters and
 * cost overrides), so a cell computes exactly what it would in the main thread. A module
 * task calls an analysis's task module (validate's cases, claims' runs); a check task runs
 * check-plugin's conformance suite.
 */
import { type CellResult, runComparison } from "../../core/compare.ts";
import { NOTHING_SERVED } from "../../core/engine/index.ts";
import { listChanged, restoreIntrinsics, snapshotIntrinsics } from "../../core/intrinsics.ts";
import { attachWatch } from "../../core/watchdog.ts";
import { type ConformanceReport, checkPlugin } from "../../strategies/conformance/index.ts";
import { builtinStrategiesByName, loadStrategyPlugin } from "../../strategies/registry.ts";
import { BUILTIN_WORKLOADS, loadWorkloadPlugin } from "../../workloads/registry.ts";
import { withCostOverrides } from "./modules.ts";
import { strayEveryFor } from "./plan.ts";
import { runBatch } from "./steal.ts";
import type { BatchTask, CellTask, CheckTask, ModuleTask, WorkerTask } from "./tasks.ts";

/** Runs the conformance suite on a strategy plugin, reporting the hook in progress. */
async function runCheckTask(task: CheckTask): Promise<ConformanceReport> {
  const module = await loadStrategyPlugin(task.file);
  attachWatch(task.watch);
  try {
    return checkPlugin(module, {
      ...(task.profile ? { profile: task.profile } : {}),
      ...(task.arch ? { arch: task.arch } : {}),
    });
  } finally {
    attachWatch(undefined);
    restoreIntrinsics(intrinsics);
  }
}

/** Runs an analysis's task: the default export of its module, on the task's input. */
async function runModuleTask(task: ModuleTask): Promise<unknown> {
  const module = (await import(task.module)) as { default: (input: unknown) => unknown };
  return module.default(task.input);
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

/** The built-ins as this worker found them, before any plugin code ran in it. */
const intrinsics = snapshotIntrinsics();

/** The plugins (not built-ins) among a cell's strategy and workload, or every one loaded here. */
function pluginsOf(task: CellTask): string[] {
  const entries = [task.config.strategies[task.strategy], task.config.workloads[task.workload]];
  const own = entries.filter((entry) => entry.source !== "built-in");
  if (own.length > 0) return own.map((entry) => `${entry.name} (${entry.source})`);
  return [...moduleCache.keys()]
    .map((key) => key.split("\u0000"))
    .filter(([, source]) => source !== "built-in")
    .map(([, source, name]) => `${name} (${source})`);
}

/**
 * Runs one cell (the tinypool entry point). Built-ins that the cell's plugin code changed
 * are put back before the next cell, and the cell fails naming the plugin and what it
 * changed (its numbers were computed with broken built-ins).
 */
export default async function runWorkerTask(task: WorkerTask | BatchTask): Promise<unknown> {
  if (task.kind === "batch") return runBatch(task, runCellTask);
  return runCellTask(task);
}

async function runCellTask(task: WorkerTask): Promise<unknown> {
  if (task.kind === "check") return runCheckTask(task);
  if (task.kind === "module") return runModuleTask(task);
  let cell: CellResult | undefined;
  let thrown: unknown;
  try {
    cell = await runCell(task);
  } catch (error) {
    thrown = error;
  }
  const changed = restoreIntrinsics(intrinsics);
  if (changed.length > 0) {
    const plugins = pluginsOf(task);
    return {
      workload: task.config.workloads[task.workload].name,
      strategy: task.config.strategies[task.strategy].name,
      status: "failed",
      served: NOTHING_SERVED,
      reason: `plugin ${plugins.join(" or ") || "code"} changed JavaScript built-ins (${listChanged(changed)}); they were put back, and this cell's results are not used`,
      runs: [],
    };
  }
  if (thrown !== undefined || cell === undefined) throw thrown;
  return cell;
}

async function runCell(task: CellTask): Promise<CellResult> {
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
