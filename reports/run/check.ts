/**
 * `check-plugin`'s conformance suite in a worker thread of the runner, under the limits a
 * plugin's cells run under in compare.
 */
import type { Arch } from "../../core/machine/params.ts";
import type { CostProfile } from "../../core/profile.ts";
import { WATCH_BYTES } from "../../core/watchdog.ts";
import type { ConformanceReport } from "../../strategies/conformance/index.ts";
import { whereStopped } from "./cells.ts";
import type { CellMemory, CellTimeout } from "./limits.ts";
import { outOfMemory, watchTimeout } from "./pool.ts";
import type { CheckTask } from "./tasks.ts";

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
  arch: Arch | undefined,
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
  const timer = watchTimeout(watch, timeout, abort, onTick);
  const task: CheckTask = {
    kind: "check",
    file,
    watch,
    ...(profile ? { profile } : {}),
    ...(arch ? { arch } : {}),
  };
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
