/**
 * Runs the cells of one or more resolved comparisons on `jobs` threads: this one (already
 * loaded and warm) and `jobs - 1` worker threads (tinypool), all taking cells from one
 * queue. Every cell is computed on its own from the resolved configuration, so the results
 * do not depend on `jobs` or on which thread ran which cell; they come back in the order
 * the tasks were given.
 */
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { addServed, type CellResult, servedReason } from "../../core/compare.ts";
import {
  NOTHING_SERVED,
  type RunStatus,
  type ServedCounts,
  worseStatus,
} from "../../core/engine.ts";
import type { CostProfile } from "../../core/profile.ts";
import { readWatch, WATCH_BYTES } from "../../core/watchdog.ts";
import type { ConformanceReport } from "../../strategies/conformance.ts";
import type { CellTask, CheckTask } from "./cell-worker.ts";
import { type ResolvedComparison, runResolved } from "./plan.ts";

/** One cell: which comparison (a sweep's point; 0 for compare), workload and strategy. */
export interface CellRef {
  readonly point: number;
  readonly workload: number;
  readonly strategy: number;
  /** Only these seeds of the cell (a part of a cell split by seed); all when absent. */
  readonly seeds?: readonly number[];
}

/** Cells below which everything runs in this thread (a worker's start-up is not worth it). */
export const MIN_PARALLEL_CELLS = 4;

/**
 * Seed runs (cells x seeds) from which `--jobs` defaults to every core. Each worker is a new
 * V8 isolate that compiles the model afresh (seconds of CPU); on this project's 2-core
 * machine two threads broke even at about the default comparison (250 runs) and won 1.25x
 * to 1.4x at 600 (docs/performance.md).
 */
export const AUTO_PARALLEL_SEED_RUNS = 400;

/** Threads for a run of `seedRuns` seed runs when `--jobs` is not given. */
export function autoJobs(seedRuns: number, cores = availableParallelism()): number {
  return seedRuns >= AUTO_PARALLEL_SEED_RUNS ? Math.max(1, cores) : 1;
}

let backgroundCompilationOff = false;

/**
 * With worker threads the cores are busy with cells, and V8's background compiler threads
 * (one set per isolate) only compete with them: measured on 2 cores, a 200-cell sweep on two
 * threads took 13.6 s with them and 12.0 s without (15.1 s on one thread). Turned off for
 * the rest of the process (it is a process-wide V8 flag; only this one is safe to change
 * after start-up: the garbage collector's crash V8).
 */
function turnOffBackgroundCompilation(): void {
  if (backgroundCompilationOff) return;
  setFlagsFromString("--no-concurrent-recompilation");
  backgroundCompilationOff = true;
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

/** How cells with user plugins are kept from hanging the run. */
export interface CellTimeout {
  /** Wall-clock limit of one such cell in its worker thread, in milliseconds (0: none). */
  readonly ms: number;
  /** The flag or setting that chose the limit, for the message (e.g. `--cell-timeout 600`). */
  readonly setting: string;
}

/** How much memory a cell with user plugins may take. */
export interface CellMemory {
  /** Heap limit (V8 old generation) of the worker threads that run such cells, in MB (0: none). */
  readonly mb: number;
  /** The flag or setting that chose the limit, for the message (e.g. `--cell-memory 512`). */
  readonly setting: string;
}

/** How often a timed cell's watcher looks at its worker, in milliseconds. */
const WATCH_INTERVAL_MS = 50;
/** Least time a worker gets to load a timed cell's plugins, in milliseconds. */
const LOAD_ALLOWANCE_MS = 30_000;

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
function whereStopped(strategy: string, watch: SharedArrayBuffer): string {
  const state = readWatch(watch);
  return !state.started
    ? "while its plugins were loading"
    : state.hook !== undefined
      ? `in ${strategy}.${state.hook} (seed ${state.seed})`
      : `outside the strategy's hooks (seed ${state.seed}: the workload's generator, the strategy's create, or the model)`;
}

/** Whether a worker thread was terminated for reaching its heap limit. */
const outOfMemory = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";

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
  const strategy = comparison.config.strategies[ref.strategy].name;
  const workload = comparison.config.workloads[ref.workload].name;
  const where = whereStopped(strategy, watch);
  const reason = outOfMemory(error)
    ? `ran out of memory: the ${pluginNames(comparison, ref)} went past the cell memory limit of ${memory.mb} MB (${memory.setting}); stopped ${where}`
    : `the ${pluginNames(comparison, ref)} broke its worker thread ${where}: ${error instanceof Error ? error.message : String(error)}`;
  return { workload, strategy, status: "failed", served: NOTHING_SERVED, reason, runs: [] };
}

/** The failed cell of a plugin that did not finish in time. */
function timedOutCell(
  comparison: ResolvedComparison,
  ref: CellRef,
  timeout: CellTimeout,
  watch: SharedArrayBuffer,
): CellResult {
  const strategy = comparison.config.strategies[ref.strategy].name;
  const workload = comparison.config.workloads[ref.workload].name;
  const where = whereStopped(strategy, watch);
  return {
    workload,
    strategy,
    status: "failed",
    served: NOTHING_SERVED,
    reason: `did not finish within ${timeout.ms / 1000} s (${timeout.setting}): stopped ${where}; a hook that loops without charging the model can only be stopped this way`,
    runs: [],
  };
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
  timeout: CellTimeout = { ms: 0, setting: "" },
  memory: CellMemory = { mb: 0, setting: "" },
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

async function runParts(
  comparisons: readonly ResolvedComparison[],
  refs: readonly CellRef[],
  jobs: number,
  onCell: ((done: number, total: number, index?: number) => void) | undefined,
  timeout: CellTimeout,
  memory: CellMemory,
): Promise<CellResult[]> {
  let done = 0;
  const total = refs.length;
  const isolated = refs.map((ref) => runsPlugin(comparisons[ref.point], ref));
  const anyIsolated = isolated.some(Boolean);
  const here = (ref: CellRef): CellResult => {
    const comparison = comparisons[ref.point];
    const [cell] = runResolved({
      ...comparison,
      config:
        ref.seeds === undefined
          ? comparison.config
          : { ...comparison.config, seeds: [...ref.seeds] },
      workloads: [comparison.workloads[ref.workload]],
      strategies: [comparison.strategies[ref.strategy]],
    });
    return cell;
  };
  if (!anyIsolated && (jobs <= 1 || refs.length < MIN_PARALLEL_CELLS)) {
    return refs.map((ref, index) => {
      const cell = here(ref);
      onCell?.(++done, total, index);
      return cell;
    });
  }
  const workers = Math.max(1, Math.min(jobs - 1, refs.length));
  // With one job, the only worker runs plugin cells while this thread waits: the compiler
  // threads then have a core to themselves.
  if (jobs > 1) turnOffBackgroundCompilation();
  const { default: Tinypool } = await import("tinypool");
  const pool = new Tinypool({
    // Next to this module: the tsx shim beside the sources, or the bundled worker when the
    // CLI runs from its bundle (bin/cli-bundle.mjs).
    filename: new URL("./cell-worker.mjs", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    // Tinypool hands a worker its next task only when this thread's event loop runs, which
    // it does not while this thread runs a cell of its own: with two tasks handed over at
    // once, the worker starts its next cell the moment it finishes one. (Timed cells go one
    // at a time: a cell's clock starts when it is handed over.)
    concurrentTasksPerWorker: anyIsolated ? 1 : 2,
    // Plugin cells run under the memory limit; built-in cells that share these workers
    // and reach it (they never come near it) are run again in this thread.
    ...(anyIsolated && memory.mb > 0
      ? { resourceLimits: { maxOldGenerationSizeMb: memory.mb } }
      : {}),
  });
  const cells: CellResult[] = new Array(refs.length);
  // Cells any thread may run, and cells only a worker may run (isolated plugin cells).
  const shared = refs.map((_, index) => index).filter((index) => !isolated[index]);
  const workerOnly = refs.map((_, index) => index).filter((index) => isolated[index]);
  const runInWorker = async (index: number): Promise<CellResult> => {
    const ref = refs[index];
    const comparison = comparisons[ref.point];
    const task: CellTask = {
      config: comparison.config,
      profile: comparison.profile,
      workload: ref.workload,
      strategy: ref.strategy,
      ...(ref.seeds !== undefined ? { seeds: ref.seeds } : {}),
      ...(comparison.checkInvariants ? { checkInvariants: true } : {}),
      ...(comparison.operationBudget !== undefined
        ? { operationBudget: comparison.operationBudget }
        : {}),
    };
    if (!isolated[index]) {
      try {
        return (await pool.run(task)) as CellResult;
      } catch (error) {
        if (!outOfMemory(error)) throw error;
        return here(ref);
      }
    }
    const watch = new SharedArrayBuffer(WATCH_BYTES);
    const abort = new AbortController();
    // The cell's clock starts once its worker has loaded the plugins and begun the cell;
    // loading gets its own allowance (a plugin module may hang at its top level, too).
    const submitted = Date.now();
    let began: number | undefined;
    const timer = setInterval(() => {
      const now = Date.now();
      if (began === undefined && readWatch(watch).started) began = now;
      const late =
        timeout.ms > 0 &&
        (began === undefined
          ? now - submitted > Math.max(timeout.ms, LOAD_ALLOWANCE_MS)
          : now - began > timeout.ms);
      if (late) abort.abort();
    }, WATCH_INTERVAL_MS);
    try {
      return (await pool.run({ ...task, watch }, { signal: abort.signal })) as CellResult;
    } catch (error) {
      if (abort.signal.aborted) return timedOutCell(comparison, ref, timeout, watch);
      return brokenCell(comparison, ref, error, memory, watch);
    } finally {
      clearInterval(timer);
    }
  };
  const inWorker = async (): Promise<void> => {
    for (;;) {
      const index = workerOnly.shift() ?? shared.shift();
      if (index === undefined) return;
      cells[index] = await runInWorker(index);
      onCell?.(++done, total, index);
    }
  };
  try {
    // Two cells in flight per worker (see concurrentTasksPerWorker above).
    const feeds = Promise.all(
      Array.from({ length: anyIsolated ? workers : workers * 2 }, inWorker),
    );
    let failed = false;
    feeds.catch(() => {
      failed = true;
    });
    // With jobs 1 this thread only hands plugin cells to their worker.
    while (jobs > 1 && shared.length > 0 && !failed) {
      const index = shared.shift() as number;
      cells[index] = here(refs[index]);
      onCell?.(++done, total, index);
      // Let finished workers pick up their next cells.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await feeds;
    return cells;
  } finally {
    await pool.destroy();
  }
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

/** How `check-plugin` ended in its worker: the report, or why the worker was stopped. */
export type CheckOutcome =
  | { readonly report: ConformanceReport }
  | { readonly failure: string; readonly strategy: string };

/**
 * Runs `check-plugin`'s conformance suite on a strategy plugin in a worker thread, under
 * the same limits as a plugin's cells in compare: the wall-clock timeout (its clock starts
 * once the plugin has loaded) and the heap limit. `onTick` hears the seconds elapsed, for
 * a progress line on a terminal.
 */
export async function runCheckInWorker(
  file: string,
  strategy: string,
  profile: CostProfile | undefined,
  timeout: CellTimeout,
  memory: CellMemory,
  onTick?: (seconds: number) => void,
): Promise<CheckOutcome> {
  const { default: Tinypool } = await import("tinypool");
  const pool = new Tinypool({
    filename: new URL("./cell-worker.mjs", import.meta.url).href,
    minThreads: 1,
    maxThreads: 1,
    ...(memory.mb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: memory.mb } } : {}),
  });
  const watch = new SharedArrayBuffer(WATCH_BYTES);
  const abort = new AbortController();
  const submitted = Date.now();
  let began: number | undefined;
  let lastTick = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    if (began === undefined && readWatch(watch).started) began = now;
    const seconds = Math.floor((now - submitted) / 1000);
    if (seconds > lastTick) {
      lastTick = seconds;
      onTick?.(seconds);
    }
    const late =
      timeout.ms > 0 &&
      (began === undefined
        ? now - submitted > Math.max(timeout.ms, LOAD_ALLOWANCE_MS)
        : now - began > timeout.ms);
    if (late) abort.abort();
  }, WATCH_INTERVAL_MS);
  const task: CheckTask = { kind: "check", file, watch, ...(profile ? { profile } : {}) };
  try {
    return { report: (await pool.run(task, { signal: abort.signal })) as ConformanceReport };
  } catch (error) {
    const where = whereStopped(strategy, watch).replace(/ \(seed \d+\)$/, "");
    if (abort.signal.aborted) {
      return {
        strategy,
        failure: `did not finish within ${timeout.ms / 1000} s (${timeout.setting}): stopped ${where.startsWith("outside") ? "outside the strategy's hooks" : where}; a hook that loops without charging the model can only be stopped this way`,
      };
    }
    if (outOfMemory(error)) {
      return {
        strategy,
        failure: `ran out of memory: went past the memory limit of ${memory.mb} MB (${memory.setting}); stopped ${where.startsWith("outside") ? "outside the strategy's hooks" : where}`,
      };
    }
    throw error;
  } finally {
    clearInterval(timer);
    await pool.destroy();
  }
}
