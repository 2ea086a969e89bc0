/**
 * Workload parameters: the stray-injection parameters every workload carries
 * (`stray_every`, `stray_mix`) and the parameter specs the built-in workloads share. The
 * stray parameters are part of the contract (core/contract/stray.ts, re-exported here).
 * Generators read their parameters directly (`params.requests`): resolution of user-given
 * values (unknown keys, types, ranges, choices) happens before, in workloads/registry.ts
 * through core/contract/options.ts, and the values are typed by their specs.
 *
 * The spec builders below hold the conventions of the built-ins' numeric parameters (a
 * ratio is in [0, 1], a mean of cycles is at least 0 and below 10^7, ...), so that a
 * workload states only what is its own: the default and the description.
 *
 * @packageDocumentation
 */
import type { NumberOptionSpec } from "../../core/contract/options.ts";

export {
  DEFAULT_STRAY_EVERY,
  parseStrayMix,
  STRAY_PARAMS,
  strayParams,
} from "../../core/contract/stray.ts";

/** The `threads` parameter: 0 means one thread per online CPU. */
export const THREADS: NumberOptionSpec = {
  default: 0,
  unit: "threads",
  description:
    "Kernel threads running the workload (thread i starts on CPU i mod cpus); 0 = one per CPU.",
  min: 0,
  max: 65_536,
};

/** The `threads` parameter of a workload that runs two threads per CPU by default. */
export const TWO_PER_CPU_THREADS: NumberOptionSpec = {
  default: 0,
  unit: "threads",
  description: "Threads (thread i starts on CPU i mod cpus); 0 = two per CPU.",
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

/** How many times each thread does the workload's unit of work (`unit`: "requests/thread", ...). */
export function perThread(
  value: number,
  unit: string,
  description: string,
  max = 10_000_000,
): NumberOptionSpec {
  return { default: value, unit, description, min: 1, max };
}

/** Pages of the protected region (at least `min`, at most 2^20 = 4 GiB). */
export function pages(value: number, description: string, min = 1): NumberOptionSpec {
  return { default: value, unit: "pages", description, min, max: 1 << 20 };
}

/** A fraction in [0, 1] (of requests that write, of faults that allocate, ...). */
export function ratio(value: number, description: string): NumberOptionSpec {
  return { default: value, unit: "ratio", description, min: 0, max: 1 };
}

/** Cycles of kernel or user work the model does not follow in detail (a mean, or per page). */
export function cycles(
  value: number,
  description: string,
  max = 10_000_000,
  unit = "cycles",
): NumberOptionSpec {
  return { default: value, unit, description, min: 0, max };
}

/** Reads of unprotected kernel memory per unit of work (`compute` operations' `touches`). */
export function touches(value: number, description: string): NumberOptionSpec {
  return { default: value, unit: "accesses", description, min: 0, max: 10_000 };
}
