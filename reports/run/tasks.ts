/**
 * What the runner's worker threads (cell-worker.ts) are handed: a cell of a resolved
 * comparison, a conformance check of a plugin, or a task of an analysis (validate, claims)
 * named by the module that computes it. Every task is plain data (structured-cloned).
 */
import type { MessagePort } from "node:worker_threads";
import type { Arch } from "../../core/machine/params.ts";
import type { CostProfile } from "../../core/profile.ts";
import type { ResolvedConfig } from "../results/results.ts";

/** One cell of a resolved configuration (compare, sweep). */
export interface CellTask {
  readonly kind?: "cell";
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

/** A conformance run of `pkslab check-plugin`, in a worker so that a hung hook can be stopped. */
export interface CheckTask {
  readonly kind: "check";
  readonly file: string;
  readonly profile?: CostProfile;
  /** Architecture of the checked machine (absent: x86-64). */
  readonly arch?: Arch;
  readonly watch: SharedArrayBuffer;
}

/**
 * A task of an analysis: the worker imports `module` (a file URL, see taskModule) and calls
 * its default export with `input`. The module must be built-in code (no plugin runs this
 * way) and compute the same result in any thread.
 */
export interface ModuleTask {
  readonly kind: "module";
  readonly module: string;
  readonly input: unknown;
}

export type WorkerTask = CellTask | CheckTask | ModuleTask;

/**
 * A whole run's built-in tasks for one worker (steal.ts): it claims the next from the
 * shared counter `next` (an Int32 at 0) until none is left and posts each result on `port`.
 */
export interface BatchTask {
  readonly kind: "batch";
  readonly tasks: readonly WorkerTask[];
  readonly next: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** What a batch posts for each task: its index, its result and the time it took. */
export interface BatchMessage {
  readonly index: number;
  readonly value: unknown;
  readonly busyMs: number;
}

/**
 * The URL of an analysis's task module `name` beside the calling module (pass
 * `import.meta.url`): `name.ts` when running from the sources, `name.mjs` when running from
 * the CLI's bundle, where bin/cli-bundle.mjs builds it as an entry point of that name. So a
 * task module's file name must be unique across the tree and listed there.
 */
export function taskModule(callerUrl: string, name: string): string {
  return new URL(`./${name}${callerUrl.endsWith(".ts") ? ".ts" : ".mjs"}`, callerUrl).href;
}
