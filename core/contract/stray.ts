/**
 * The stray-injection parameters every workload carries (`stray_every`, `stray_mix`): their
 * specs and defaults, and parsing a `stray_mix` value. Part of the workload contract: the
 * engine's stray injector reads them, workloads declare them.
 *
 * @packageDocumentation
 */
import { UserInputError, unknownChoiceError } from "../errors.ts";
import type { NumberOptionSpec, StringOptionSpec } from "./options.ts";
import { STRAY_CLASSES, type StrayClass } from "./workload.ts";

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
export function strayParams(defaults: { every?: number; mix?: readonly StrayClass[] } = {}): {
  readonly stray_every: NumberOptionSpec;
  readonly stray_mix: StringOptionSpec;
} {
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
