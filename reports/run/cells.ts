/**
 * The cells of one or more resolved comparisons (compare, a sweep's points) on the runner
 * (pool.ts): which cells run plugin code and so go to a watched worker, how a cell that
 * broke or timed out fails, and the split of a few cells by seed so that every thread is
 * busy. Every cell is computed on its own from the resolved configuration, so the results
 * do not depend on `jobs`.
 */
import { addServed, type CellResult, runLimitsOf, servedReason } from "../../core/compare.ts";
import {
  NOTHING_SERVED,
  type RunStatus,
  type ServedCounts,
  worseStatus,
} from "../../core/engine/index.ts";
import { readWatch } from "../../core/watchdog.ts";
import { type CellMemory, type CellTimeout, NO_MEMORY_LIMIT, NO_TIMEOUT } from "./limits.ts";
import { type ResolvedComparison, runResolved } from "./plan.ts";
import { autoJobs, outOfMemory, type RunnerTask, runTasks } from "./pool.ts";
import type { CellTask } from "./tasks.ts";

/** One cell: which comparison (a sweep's point; 0 for compare), workload and strategy. */
export interface CellRef {
  readonly point: number;
  readonly workload: number;
  readonly strategy: number;
  /** Only these seeds of the cell (a part of a cell split by seed); all when absent. */
  readonly seeds?: readonly number[];
}

/** Every cell of the comparisons, point-major, then workload, then strategy. */
export function allCells(comparisons: readonly ResolvedComparison[]): CellRef[] {
  const cells: CellRef[] = [];
  comparisons.forEach((comparison, point) => {
    for (let workload = 0; workload < comparison.workloads.length; workload++) {
      for (let strategy = 0; strategy < comparison.strategies.length; strategy++) {
        cells.push({ point, workload, strategy });
      }
    }
  });
  return cells;
}

/** Whether a cell runs code from a user plugin (a strategy or workload file). */
export function runsPlugin(comparison: ResolvedComparison, ref: CellRef): boolean {
  return (
    comparison.config.strategies[ref.strategy].source !== "built-in" ||
    comparison.config.workloads[ref.workload].source !== "built-in"
  );
}

/** "strategy loops-forever" and/or "workload w": the user plugins a cell runs. */
function pluginNames(comparison: ResolvedComparison, ref: CellRef): string {
  const strategy = comparison.config.strategies[ref.strategy];
  const workload = comparison.config.workloads[ref.workload];
  return [
    strategy.source !== "built-in" ? `strategy plugin ${strategy.name} (${strategy.source})` : "",
    workload.source !== "built-in" ? `workload plugin ${workload.name} (${workload.source})` : "",
  ]
    .filter((name) => name !== "")
    .join(" or ");
}

/** Where a watched cell was: "in s.onMap (seed 1)", or outside the hooks, or loading. */
export function whereStopped(strategy: string, watch: SharedArrayBuffer): string {
  const state = readWatch(watch);
  return !state.started
    ? "while its plugins were loading"
    : state.hook !== undefined
      ? `in ${strategy}.${state.hook} (seed ${state.seed})`
      : `outside the strategy's hooks (seed ${state.seed}: the workload's generator, the strategy's create, or the model)`;
}

/**
 * The failed cell of a plugin whose worker was stopped, served nothing and ran nothing;
 * `reason` is told where it stopped (see {@link whereStopped}).
 */
function stoppedCell(
  comparison: ResolvedComparison,
  ref: CellRef,
  watch: SharedArrayBuffer,
  reason: (where: string) => string,
): CellResult {
  const strategy = comparison.config.strategies[ref.strategy].name;
  const workload = comparison.config.workloads[ref.workload].name;
  const where = whereStopped(strategy, watch);
  return {
    workload,
    strategy,
    status: "failed",
    served: NOTHING_SERVED,
    reason: reason(where),
    runs: [],
  };
}

/**
 * The failed cell of a plugin whose worker broke: it reached the memory limit, or the
 * plugin's code threw outside the guarded hooks (for example through a built-in it broke).
 */
function brokenCell(
  comparison: ResolvedComparison,
  ref: CellRef,
  error: unknown,
  memory: CellMemory,
  watch: SharedArrayBuffer,
): CellResult {
  return stoppedCell(comparison, ref, watch, (where) =>
    outOfMemory(error)
      ? `ran out of memory: the ${pluginNames(comparison, ref)} went past the cell memory limit of ${memory.mb} MB (${memory.setting}); stopped ${where}`
      : `the ${pluginNames(comparison, ref)} broke its worker thread ${where}: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** The failed cell of a plugin that did not finish in time. */
function timedOutCell(
  comparison: ResolvedComparison,
  ref: CellRef,
  timeout: CellTimeout,
  watch: SharedArrayBuffer,
): CellResult {
  return stoppedCell(
    comparison,
    ref,
    watch,
    (where) =>
      `did not finish within ${timeout.ms / 1000} s (${timeout.setting}): stopped ${where}; a hook that loops without charging the model can only be stopped this way`,
  );
}

/**
 * Runs the given cells (see the module comment); `onCell` hears each completion. Cells that
 * run user plugin code go to worker threads only (at least one, even with `jobs` 1), one at
 * a time per worker, so that plugin code never runs in this thread. A cell past the
 * timeout has its worker terminated, a worker past the memory limit is terminated by V8,
 * and a plugin that breaks its worker otherwise (a built-in it replaced, an exception
 * outside its hooks) stops it too: each fails that cell alone with `status: error`, naming
 * the plugin; the other cells are unaffected.
 */
export async function runCells(
  comparisons: readonly ResolvedComparison[],
  refs: readonly CellRef[],
  jobsGiven: number | undefined,
  onCell?: (done: number, total: number) => void,
  timeout: CellTimeout = NO_TIMEOUT,
  memory: CellMemory = NO_MEMORY_LIMIT,
): Promise<CellResult[]> {
  const jobs =
    jobsGiven ??
    autoJobs(
      refs.reduce((sum, ref) => sum + (ref.seeds ?? comparisons[ref.point].config.seeds).length, 0),
    );
  // Too few cells to keep every thread busy: split them by seed (each seed's run is
  // independent) and put each cell back together in seed order.
  const split = jobs > 1 && refs.length < SPLIT_BELOW_CELLS_PER_JOB * jobs;
  if (!split) return runParts(comparisons, refs, jobs, onCell, timeout, memory);
  // One part per seed; each cell's parts stand together, in seed order.
  const seedsOf = refs.map((ref) => ref.seeds ?? comparisons[ref.point].config.seeds);
  const parts = refs.flatMap((ref, index) =>
    seedsOf[index].map((seed) => ({ ...ref, seeds: [seed] })),
  );
  const owner = seedsOf.flatMap((seeds, index) => seeds.map(() => index));
  const remaining = seedsOf.map((seeds) => seeds.length);
  let cellsDone = 0;
  const partCells = await runParts(
    comparisons,
    parts,
    jobs,
    onCell &&
      ((_, __, part) => {
        if (part !== undefined && --remaining[owner[part]] === 0) onCell(++cellsDone, refs.length);
      }),
    timeout,
    memory,
  );
  return refs.map((_, index) => {
    const first = owner.indexOf(index);
    return joinSeedParts(partCells.slice(first, first + seedsOf[index].length));
  });
}

/**
 * One cell from its single-seed parts, in seed order, exactly as running the seeds in turn
 * gives it: runs up to the first failing seed, that seed's error, the distinct reasons of
 * the others in seed order, and unsupported if any seed was.
 */
export function joinSeedParts(parts: readonly CellResult[]): CellResult {
  const runs: CellResult["runs"][number][] = [];
  const reasons = new Set<string>();
  let status: RunStatus = "ok";
  let served: ServedCounts = NOTHING_SERVED;
  const { workload, strategy } = parts[0];
  for (const part of parts) {
    // A seed that did not finish ends the cell there, as it does when seeds run in turn.
    if (part.status === "failed" && part.runs.length === 0)
      return { workload, strategy, status: "failed", reason: part.reason, served, runs };
    served = addServed(served, part.served);
    for (const note of part.notes ?? []) reasons.add(note);
    status = worseStatus(status, part.status);
    runs.push(...part.runs);
  }
  return {
    workload,
    strategy,
    status,
    reason: servedReason(status, served, [...reasons]),
    notes: [...reasons],
    served,
    runs,
  };
}

/** Cells per job below which the cells are split by seed. */
const SPLIT_BELOW_CELLS_PER_JOB = 4;

/** The cells as runner tasks: plugin cells isolated, built-in cells anywhere. */
function runParts(
  comparisons: readonly ResolvedComparison[],
  refs: readonly CellRef[],
  jobs: number,
  onCell: ((done: number, total: number, index?: number) => void) | undefined,
  timeout: CellTimeout,
  memory: CellMemory,
): Promise<CellResult[]> {
  const tasks = refs.map((ref): RunnerTask<CellResult> => {
    const comparison = comparisons[ref.point];
    const task: CellTask = {
      config: comparison.config,
      profile: comparison.profile,
      workload: ref.workload,
      strategy: ref.strategy,
      ...(ref.seeds !== undefined ? { seeds: ref.seeds } : {}),
      ...runLimitsOf(comparison),
    };
    if (runsPlugin(comparison, ref)) {
      return {
        task,
        timedOut: (watch) => timedOutCell(comparison, ref, timeout, watch),
        broken: (error, watch) => brokenCell(comparison, ref, error, memory, watch),
      };
    }
    return { task, here: () => runHere(comparison, ref) };
  });
  return runTasks(tasks, { jobs, onDone: onCell, timeout, memory });
}

/** One cell (or the seeds of one) in this thread. */
function runHere(comparison: ResolvedComparison, ref: CellRef): CellResult {
  const [cell] = runResolved({
    ...comparison,
    config:
      ref.seeds === undefined ? comparison.config : { ...comparison.config, seeds: [...ref.seeds] },
    workloads: [comparison.workloads[ref.workload]],
    strategies: [comparison.strategies[ref.strategy]],
  });
  return cell;
}

/**
 * Wall-clock milliseconds of one seed run, measured by running the first seed of up to
 * `most` built-in cells in this thread (plugin code never runs here); undefined when every
 * cell runs a plugin. For the estimate of a long run: it costs 1/seeds of the run.
 */
export function probeMsPerSeedRun(
  comparisons: readonly ResolvedComparison[],
  refs: readonly CellRef[],
  most = 8,
): number | undefined {
  const builtIn = refs.filter((ref) => !runsPlugin(comparisons[ref.point], ref));
  if (builtIn.length === 0) return undefined;
  // Spread over the cells (workloads differ most), not the first few.
  const step = Math.max(1, Math.floor(builtIn.length / most));
  const probed = builtIn.filter((_, index) => index % step === 0).slice(0, most);
  const pass = (): number => {
    const started = performance.now();
    for (const ref of probed) {
      const comparison = comparisons[ref.point];
      runResolved({
        ...comparison,
        config: { ...comparison.config, seeds: [comparison.config.seeds[0]] },
        workloads: [comparison.workloads[ref.workload]],
        strategies: [comparison.strategies[ref.strategy]],
      });
    }
    return (performance.now() - started) / probed.length;
  };
  // The first pass compiles the model; a long run spends nearly all its time warm.
  pass();
  return pass();
}
