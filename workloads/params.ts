/**
 * Workload parameters: the stray-injection parameters every workload carries
 * (`stray_every`, `stray_mix`) and building blocks shared by the built-in workloads. The
 * stray parameters are part of the contract (core/contract/stray.ts, re-exported here).
 * Generators read their parameters directly (`params.requests`): resolution of user-given
 * values (unknown keys, types, ranges, choices) happens before, in workloads/registry.ts
 * through core/contract/options.ts, and the values are typed by their specs.
 *
 * @packageDocumentation
 */
import type { NumberOptionSpec } from "../core/contract/options.ts";

export {
  DEFAULT_STRAY_EVERY,
  parseStrayMix,
  STRAY_PARAMS,
  strayParams,
} from "../core/contract/stray.ts";

// -------------------------------------------------------------------------------------------
// Shared building blocks of the built-in workloads.

/** The `threads` parameter: 0 means one thread per online CPU. */
export const THREADS_PARAM: NumberOptionSpec = {
  default: 0,
  unit: "threads",
  description:
    "Kernel threads running the workload (thread i starts on CPU i mod cpus); 0 = one per CPU.",
  min: 0,
  max: 65_536,
};

/** The `threads` parameter, or `perCpu` threads per CPU when it is 0 (the default). */
export function threadsOrPerCpu(perCpu: number) {
  return (params: { readonly threads: number }, cpus: number): number => {
    const threads = params.threads;
    return threads > 0 ? threads : perCpu * cpus;
  };
}

/** Resolves the `threads` parameter against the machine's CPU count: one per CPU by default. */
export const threadCount = threadsOrPerCpu(1);

/**
 * A run-wide unique mapping handle: the `index`-th handle of thread `thread`. Handles are
 * global so that a consumer can name a producer's mapping (`wait-for`).
 */
export function handleOf(thread: number, threads: number, index: number): number {
  return index * threads + thread;
}

/** Integer drawn around `mean` (uniform on [mean/2, 3*mean/2]), at least 0. */
export function jitter(rng: { int(low: number, high: number): number }, mean: number): number {
  if (mean <= 0) return 0;
  return rng.int(Math.floor(mean / 2), Math.ceil((mean * 3) / 2));
}

/** Page size the workloads address in (x86 base page). */
export const PAGE_BYTES = 4096;
