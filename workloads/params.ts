/**
 * Workload parameters: the stray-injection parameters every workload carries
 * (`stray_every`, `stray_mix`), small typed readers the generators use, and building blocks
 * shared by the built-in workloads. Resolution of user-given values (unknown keys, types,
 * ranges, choices) reuses strategies/options.ts; see workloads/registry.ts.
 *
 * @packageDocumentation
 */
import { UserInputError, unknownChoiceError } from "../core/errors.ts";
import type { OptionSpec, OptionValues } from "../strategies/api.ts";
import { STRAY_CLASSES, type StrayClass } from "./api.ts";

/**
 * Mean stray-injection points between injected stray accesses when a workload does not
 * say. The points are the stream's legitimate page accesses, compute operations and page
 * moves: the same for every strategy, so every strategy of a workload meets the same strays.
 */
export const DEFAULT_STRAY_EVERY = 20;

/**
 * The two coverage-model parameters every workload has. Built-ins spread
 * `strayParams(...)` into their `params`; plugin workloads that do not declare them get
 * these defaults from the registry (and the engine falls back to the same values).
 */
export function strayParams(
  defaults: { every?: number; mix?: readonly StrayClass[] } = {},
): Record<"stray_every" | "stray_mix", OptionSpec> {
  return {
    stray_every: {
      default: defaults.every ?? DEFAULT_STRAY_EVERY,
      unit: "ops",
      description:
        "Mean injection points (legitimate page accesses, compute operations, page moves of the stream) between injected stray accesses (coverage model); 0 turns injection off.",
      min: 0,
      max: 1_000_000,
    },
    stray_mix: {
      default: (defaults.mix ?? STRAY_CLASSES).join(","),
      unit: "-",
      description: `Comma-separated stray classes to inject, drawn uniformly: any of ${STRAY_CLASSES.join(", ")}, or "all".`,
    },
  };
}

/** The stray parameters with their global defaults (for modules that do not declare them). */
export const STRAY_PARAMS = strayParams();

/**
 * Parses a `stray_mix` value ("all" or a comma list of classes) into classes, in
 * STRAY_CLASSES order, without duplicates. Throws UserInputError naming the bad class.
 */
export function parseStrayMix(value: string): readonly StrayClass[] {
  const trimmed = value.trim();
  if (trimmed === "all" || trimmed === "") return STRAY_CLASSES;
  const chosen = new Set<StrayClass>();
  for (const part of trimmed.split(",")) {
    const name = part.trim();
    if (name === "") continue;
    if (!(STRAY_CLASSES as readonly string[]).includes(name)) {
      throw unknownChoiceError("stray class in stray_mix", name, STRAY_CLASSES);
    }
    chosen.add(name as StrayClass);
  }
  if (chosen.size === 0) throw new UserInputError(`stray_mix "${value}" names no stray class.`);
  return STRAY_CLASSES.filter((name) => chosen.has(name));
}

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
