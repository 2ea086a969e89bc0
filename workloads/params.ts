/**
 * Workload parameters: the stray-injection parameters every workload carries
 * (`stray_every`, `stray_mix`), small typed readers the generators use, and building blocks
 * shared by the built-in workloads. The stray parameters are part of the contract
 * (core/contract/stray.ts, re-exported here). Resolution of user-given values (unknown keys,
 * types, ranges, choices) is core/contract/options.ts; see workloads/registry.ts.
 *
 * @packageDocumentation
 */
import type { OptionSpec, OptionValues } from "../core/contract/options.ts";

export {
  DEFAULT_STRAY_EVERY,
  parseStrayMix,
  STRAY_PARAMS,
  strayParams,
} from "../core/contract/stray.ts";

// -------------------------------------------------------------------------------------------
// Typed readers for generators (a wrong kind here is a programming error, not user input).

export function numberParam(params: OptionValues, name: string): number {
  const value = params[name];
  if (typeof value !== "number") throw new TypeError(`workload parameter ${name} is not a number`);
  return value;
}

export function stringParam(params: OptionValues, name: string): string {
  const value = params[name];
  if (typeof value !== "string") throw new TypeError(`workload parameter ${name} is not a string`);
  return value;
}

export function booleanParam(params: OptionValues, name: string): boolean {
  const value = params[name];
  if (typeof value !== "boolean")
    throw new TypeError(`workload parameter ${name} is not a boolean`);
  return value;
}

// -------------------------------------------------------------------------------------------
// Shared building blocks of the built-in workloads.

/** The `threads` parameter: 0 means one thread per online CPU. */
export const THREADS_PARAM: OptionSpec = {
  default: 0,
  unit: "threads",
  description:
    "Kernel threads running the workload (thread i starts on CPU i mod cpus); 0 = one per CPU.",
  min: 0,
  max: 65_536,
};

/** The `threads` parameter, or `perCpu` threads per CPU when it is 0 (the default). */
export function threadsOrPerCpu(perCpu: number) {
  return (params: OptionValues, cpus: number): number => {
    const threads = numberParam(params, "threads");
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
