/**
 * The one runner: runs tasks on `jobs` threads, this one (already loaded and warm) and
 * `jobs - 1` worker threads (tinypool, cell-worker.ts), all taking tasks from one queue.
 * Every task is computed on its own from plain data, so the results do not depend on
 * `jobs` or on which thread ran which task; they come back in the order the tasks were
 * given. compare and sweep (cells.ts), validate and claims all run through it.
 */
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { readWatch, WATCH_BYTES } from "../../core/watchdog.ts";
import { type CellMemory, type CellTimeout, NO_MEMORY_LIMIT, NO_TIMEOUT } from "./limits.ts";
import { runStolen, type ThreadStats } from "./steal.ts";
import type { WorkerTask } from "./tasks.ts";

/** Tasks below which everything runs in this thread (a worker's start-up is not worth it). */
export const MIN_PARALLEL_CELLS = 4;

/**
 * Seed runs (cells x seeds) from which `--jobs` defaults to every core. Each worker is a new
 * V8 isolate that compiles the model afresh (seconds of CPU). On this project's 2-core
 * machine (2026-12-06, whole `compare` commands, interleaved) two threads lost at 50 and 100
 * seed runs, broke even at 150 and won 1.14x at the default comparison's 250
 * (docs/performance.md).
 */
export const AUTO_PARALLEL_SEED_RUNS = 200;

/**
 * Threads for a run of `seedRuns` seed runs when `--jobs` is not given. Workers kept warm
 * from an earlier run of this process (claims' later batches) have paid their start-up, so
 * any run of at least MIN_PARALLEL_CELLS tasks uses them.
 */
export function autoJobs(seedRuns: number, cores = availableParallelism()): number {
  if (cores > 1 && parked?.warm === true && parked.workers === cores - 1) return cores;
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

/** How often a timed task's watcher looks at its worker, in milliseconds. */
export const WATCH_INTERVAL_MS = 50;
/** Least time a worker gets to load a timed task's plugins, in milliseconds. */
export const LOAD_ALLOWANCE_MS = 30_000;

/**
 * Watches a timed task's worker through `watch` and aborts `abort` once the task is late:
 * `timeout` after the worker began it, or, while its plugins still load, after the longer of
 * `timeout` and the load allowance (a plugin module may hang at its top level, too).
 * `onTick` hears each whole second since submission. Returns the timer to clear.
 */
export function watchTimeout(
  watch: SharedArrayBuffer,
  timeout: CellTimeout,
  abort: AbortController,
  onTick?: (seconds: number) => void,
): ReturnType<typeof setInterval> {
  const submitted = Date.now();
  let began: number | undefined;
  let lastTick = 0;
  return setInterval(() => {
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
}

/** Whether a worker thread was terminated for reaching its heap limit. */
export const outOfMemory = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";

/** A task that runs user plugin code: only ever in a worker, one at a time, watched. */
export interface IsolatedTask<R> {
  /** The task for the worker; the runner adds the watch buffer. */
  readonly task: WorkerTask;
  /** The result of a task stopped for running past the timeout. */
  timedOut(watch: SharedArrayBuffer): R;
  /** The result of a task whose worker broke (past the heap limit, or plugin code threw). */
  broken(error: unknown, watch: SharedArrayBuffer): R;
}

/** A task of built-in code: runs in this thread or in a worker, with the same result. */
export interface SharedTask<R> {
  readonly task: WorkerTask;
  /** Computes the task in this thread. */
  here(): R;
}

export type RunnerTask<R> = SharedTask<R> | IsolatedTask<R>;

const isIsolated = <R>(task: RunnerTask<R>): task is IsolatedTask<R> => !("here" in task);

/** How to run a list of tasks. */
export interface RunOptions {
  /** Threads in all, this one included (isolated tasks get a worker even with 1). */
  readonly jobs: number;
  /** Hears each completion: tasks done, of total, and the index of the task just done. */
  readonly onDone?: (done: number, total: number, index: number) => void;
  /** Wall-clock limit of an isolated task (its clock starts once its plugins have loaded). */
  readonly timeout?: CellTimeout;
  /** Heap limit of the worker threads when there are isolated tasks. */
  readonly memory?: CellMemory;
  /** Hears how busy each thread was, after a run of built-in tasks on several threads. */
  readonly onStats?: (stats: ThreadStats) => void;
}

type Pool = import("tinypool").default;

/**
 * Workers for the next run of built-in tasks: started ahead of it (startWorkers), or kept
 * from the last one (claims runs the runner many times; a worker's start-up and warm-up
 * cost more than a short run). An idle tinypool worker is unref'd, so this does not keep
 * the process alive.
 */
let parked:
  | {
      readonly workers: number;
      readonly pool: Promise<Pool>;
      /** Whether the workers have run a batch (their model is loaded and compiled). */
      readonly warm: boolean;
    }
  | undefined;

/** A pool of `workers` threads for built-in tasks, each running one batch (steal.ts). */
async function batchPool(workers: number): Promise<Pool> {
  const { default: Tinypool } = await import("tinypool");
  return new Tinypool({
    filename: new URL("./cell-worker.mjs", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: 1,
  });
}

/** The parked pool if it has `workers` threads (else a new one); nothing stays parked. */
function takePool(workers: number): Promise<Pool> {
  const kept = parked;
  parked = undefined;
  if (kept?.workers === workers) return kept.pool;
  if (kept) void kept.pool.then((pool) => pool.destroy());
  return batchPool(workers);
}

/**
 * Starts the worker threads of a run on `jobs` threads now, so that they load the model
 * while this thread is still planning (a worker's start-up is a few hundred milliseconds
 * of the other core). The next runTasks of built-in tasks on as many threads uses them.
 */
export function startWorkers(jobs: number): void {
  if (jobs <= 1 || parked?.workers === jobs - 1) return;
  turnOffBackgroundCompilation();
  parked = { workers: jobs - 1, pool: takePool(jobs - 1), warm: false };
}

/** `PKSLAB_RUNNER_STATS=1`: how busy each thread was, on stderr (for measuring, not reports). */
function printStats(stats: ThreadStats): void {
  const ms = (value: number) => `${Math.round(value)} ms`;
  process.stderr.write(
    `pkslab: runner: wall ${ms(stats.wallMs)}; this thread busy ${ms(stats.mainBusyMs)} (${stats.mainTasks} tasks); workers busy ${ms(stats.workerBusyMs)} (${stats.workerTasks} tasks)${stats.firstWorkerResultMs === undefined ? "" : `, first result at ${ms(stats.firstWorkerResultMs)}`}\n`,
  );
}

function reportStats(options: RunOptions, stats: ThreadStats): void {
  options.onStats?.(stats);
  if (process.env.PKSLAB_RUNNER_STATS === "1") printStats(stats);
}

/** Built-in tasks on this thread and `jobs - 1` workers, claiming from one counter. */
async function runShared<R>(
  tasks: readonly SharedTask<R>[],
  jobs: number,
  options: RunOptions,
): Promise<R[]> {
  const workers = jobs - 1;
  turnOffBackgroundCompilation();
  const pool = await takePool(workers);
  let done = 0;
  let result: Awaited<ReturnType<typeof runStolen<R>>>;
  try {
    result = await runStolen(
      pool,
      workers,
      tasks,
      (index) => options.onDone?.(++done, tasks.length, index),
      outOfMemory,
    );
  } catch (error) {
    // A task threw: its worker's state is unknown, so the pool is not kept.
    await pool.destroy();
    throw error;
  }
  parked ??= { workers, pool: Promise.resolve(pool), warm: true };
  reportStats(options, result.stats);
  return result.results;
}

/**
 * Runs the tasks (see the module comment). Isolated tasks go to worker threads only (at
 * least one, even with `jobs` 1), one at a time per worker, so that plugin code never runs
 * in this thread; a task past the timeout has its worker terminated, a worker past the
 * memory limit is terminated by V8, and either fails that task alone. A shared task that
 * reaches the memory limit in a shared worker is run again in this thread.
 */
export async function runTasks<R>(
  tasks: readonly RunnerTask<R>[],
  options: RunOptions,
): Promise<R[]> {
  const { jobs, onDone } = options;
  const timeout = options.timeout ?? NO_TIMEOUT;
  const memory = options.memory ?? NO_MEMORY_LIMIT;
  let done = 0;
  const total = tasks.length;
  const isolated = tasks.map(isIsolated);
  const anyIsolated = isolated.some(Boolean);
  if (!anyIsolated && (jobs <= 1 || tasks.length < MIN_PARALLEL_CELLS)) {
    const started = performance.now();
    const results = tasks.map((task, index) => {
      const result = (task as SharedTask<R>).here();
      onDone?.(++done, total, index);
      return result;
    });
    const wallMs = performance.now() - started;
    reportStats(options, {
      wallMs,
      mainBusyMs: wallMs,
      mainTasks: tasks.length,
      workerBusyMs: 0,
      workerTasks: 0,
      firstWorkerResultMs: undefined,
    });
    return results;
  }
  if (!anyIsolated) return runShared(tasks as readonly SharedTask<R>[], jobs, options);
  const workers = Math.max(1, Math.min(jobs - 1, tasks.length));
  // With one job, the only worker runs plugin tasks while this thread waits: the compiler
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
    // it does not while this thread runs a task of its own: with two tasks handed over at
    // once, the worker starts its next task the moment it finishes one. (Timed tasks go one
    // at a time: a task's clock starts when it is handed over.)
    concurrentTasksPerWorker: anyIsolated ? 1 : 2,
    // Plugin tasks run under the memory limit; built-in tasks that share these workers
    // and reach it (they never come near it) are run again in this thread.
    ...(anyIsolated && memory.mb > 0
      ? { resourceLimits: { maxOldGenerationSizeMb: memory.mb } }
      : {}),
  });
  const results: R[] = new Array(tasks.length);
  // Tasks any thread may run, and tasks only a worker may run (isolated plugin tasks).
  const shared = tasks.map((_, index) => index).filter((index) => !isolated[index]);
  const workerOnly = tasks.map((_, index) => index).filter((index) => isolated[index]);
  const runInWorker = async (index: number): Promise<R> => {
    const task = tasks[index];
    if (!isIsolated(task)) {
      try {
        return (await pool.run(task.task)) as R;
      } catch (error) {
        if (!outOfMemory(error)) throw error;
        return task.here();
      }
    }
    const watch = new SharedArrayBuffer(WATCH_BYTES);
    const abort = new AbortController();
    // The task's clock starts once its worker has loaded the plugins and begun the task;
    // loading gets its own allowance.
    const timer = watchTimeout(watch, timeout, abort);
    try {
      return (await pool.run({ ...task.task, watch }, { signal: abort.signal })) as R;
    } catch (error) {
      if (abort.signal.aborted) return task.timedOut(watch);
      return task.broken(error, watch);
    } finally {
      clearInterval(timer);
    }
  };
  const inWorker = async (): Promise<void> => {
    for (;;) {
      const index = workerOnly.shift() ?? shared.shift();
      if (index === undefined) return;
      results[index] = await runInWorker(index);
      onDone?.(++done, total, index);
    }
  };
  try {
    // Two tasks in flight per worker (see concurrentTasksPerWorker above).
    const feeds = Promise.all(
      Array.from({ length: anyIsolated ? workers : workers * 2 }, inWorker),
    );
    let failed = false;
    feeds.catch(() => {
      failed = true;
    });
    // With jobs 1 this thread only hands plugin tasks to their worker.
    while (jobs > 1 && shared.length > 0 && !failed) {
      const index = shared.shift() as number;
      results[index] = (tasks[index] as SharedTask<R>).here();
      onDone?.(++done, total, index);
      // Let finished workers pick up their next tasks.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await feeds;
    return results;
  } finally {
    await pool.destroy();
  }
}
