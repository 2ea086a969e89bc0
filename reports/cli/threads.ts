/**
 * Runs the cells of one or more resolved comparisons on `jobs` threads: this one (already
 * loaded and warm) and `jobs - 1` worker threads (tinypool), all taking cells from one
 * queue. Every cell is computed on its own from the resolved configuration, so the results
 * do not depend on `jobs` or on which thread ran which cell; they come back in the order
 * the tasks were given.
 */
import type { CellResult } from "../../core/compare.ts";
import type { CellTask } from "./cell-worker.ts";
import { type ResolvedComparison, runResolved } from "./plan.ts";

/** One cell: which comparison (a sweep's point; 0 for compare), workload and strategy. */
export interface CellRef {
  readonly point: number;
  readonly workload: number;
  readonly strategy: number;
}

/** Cells below which everything runs in this thread (a worker's start-up is not worth it). */
export const MIN_PARALLEL_CELLS = 4;

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

/** Runs the given cells (see the module comment); `onCell` hears each completion. */
export async function runCells(
  comparisons: readonly ResolvedComparison[],
  refs: readonly CellRef[],
  jobs: number,
  onCell?: (done: number, total: number) => void,
): Promise<CellResult[]> {
  let done = 0;
  const total = refs.length;
  const here = (ref: CellRef): CellResult => {
    const comparison = comparisons[ref.point];
    const [cell] = runResolved({
      ...comparison,
      workloads: [comparison.workloads[ref.workload]],
      strategies: [comparison.strategies[ref.strategy]],
    });
    return cell;
  };
  if (jobs <= 1 || refs.length < MIN_PARALLEL_CELLS) {
    return refs.map((ref) => {
      const cell = here(ref);
      onCell?.(++done, total);
      return cell;
    });
  }
  const workers = Math.min(jobs - 1, refs.length);
  const { default: Tinypool } = await import("tinypool");
  const pool = new Tinypool({
    // Next to this module: the tsx shim beside the sources, or the bundled worker when the
    // CLI runs from its bundle (bin/cli-bundle.mjs).
    filename: new URL("./cell-worker.mjs", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
  });
  const cells: CellResult[] = new Array(refs.length);
  let next = 0;
  const inWorker = async (): Promise<void> => {
    while (next < refs.length) {
      const index = next++;
      const ref = refs[index];
      const comparison = comparisons[ref.point];
      const task: CellTask = {
        config: comparison.config,
        profile: comparison.profile,
        workload: ref.workload,
        strategy: ref.strategy,
        ...(comparison.checkInvariants ? { checkInvariants: true } : {}),
        ...(comparison.operationBudget !== undefined
          ? { operationBudget: comparison.operationBudget }
          : {}),
      };
      cells[index] = (await pool.run(task)) as CellResult;
      onCell?.(++done, total);
    }
  };
  try {
    // Two cells in flight per worker, so that a worker has its next cell while this thread
    // is busy with one of its own.
    const feeds = Promise.all(Array.from({ length: workers * 2 }, inWorker));
    let failed = false;
    feeds.catch(() => {
      failed = true;
    });
    while (next < refs.length && !failed) {
      const index = next++;
      cells[index] = here(refs[index]);
      onCell?.(++done, total);
      // Let finished workers pick up their next cells.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await feeds;
    return cells;
  } finally {
    await pool.destroy();
  }
}
