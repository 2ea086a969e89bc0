/**
 * Resolving and validating option values against their {@link OptionSpec}s. Used for
 * strategy options and for workload parameters alike: every error names the owner (kind and
 * name), the option and what was wrong, and throws {@link UserInputError} so that the CLI
 * prints it and exits 2.
 */
import { UserInputError, unknownChoiceError } from "../core/errors.ts";
import type { OptionSpec, OptionValues } from "./api.ts";

/** Who owns a set of options, for error messages. */
export type OptionOwnerKind = "strategy" | "workload";

type Value = number | boolean | string;

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);

/** The kind of value an option takes, fixed by the type of its default. */
export function optionKind(spec: OptionSpec): "number" | "boolean" | "string" {
  return typeof spec.default as "number" | "boolean" | "string";
}

function describeExpected(spec: OptionSpec): string {
  const kind = optionKind(spec);
  if (kind === "number") {
    const unit = spec.unit && spec.unit !== "-" ? ` (${spec.unit})` : "";
    const bounds =
      spec.min !== undefined && spec.max !== undefined
        ? ` from ${spec.min} to ${spec.max}`
        : spec.min !== undefined
          ? ` of at least ${spec.min}`
          : spec.max !== undefined
            ? ` of at most ${spec.max}`
            : "";
    return `a number${bounds}${unit}`;
  }
  if (kind === "boolean") return "true or false";
  return spec.choices ? `one of ${spec.choices.join(", ")}` : "a string";
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : String(value);
}

/**
 * Converts one given value to the option's kind. Strings are accepted for numbers and
 * booleans (values from the command line arrive as text).
 */
function coerce(owner: string, key: string, spec: OptionSpec, given: unknown): Value {
  const kind = optionKind(spec);
  const wrongType = () =>
    new UserInputError(
      `${owner}: option "${key}" must be ${describeExpected(spec)}; got ${show(given)}.`,
    );
  if (kind === "number") {
    let value: number;
    if (typeof given === "number") value = given;
    else if (typeof given === "string" && given.trim() !== "") value = Number(given);
    else throw wrongType();
    if (!Number.isFinite(value)) throw wrongType();
    if (
      (spec.min !== undefined && value < spec.min) ||
      (spec.max !== undefined && value > spec.max)
    )
      throw new UserInputError(
        `${owner}: option "${key}" is out of range: ${value}; it must be ${describeExpected(spec)}.`,
      );
    return value;
  }
  if (kind === "boolean") {
    if (typeof given === "boolean") return given;
    if (typeof given === "string") {
      const word = given.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
    }
    throw wrongType();
  }
  if (typeof given !== "string") throw wrongType();
  if (spec.choices && !spec.choices.includes(given)) {
    throw unknownChoiceError(`value for ${owner} option "${key}"`, given, spec.choices);
  }
  return given;
}

/**
 * Resolves `given` against `specs`: every declared option gets its given value (converted
 * and checked) or its default. An unknown key, a value of the wrong type, a number out of
 * range or a string outside its choices is a {@link UserInputError} naming the owner and
 * the key, with the valid choices.
 */
export function resolveOptions(
  ownerKind: OptionOwnerKind,
  ownerName: string,
  specs: Readonly<Record<string, OptionSpec>>,
  given: Readonly<Record<string, unknown>> = {},
): OptionValues {
  const owner = `${ownerKind} ${ownerName}`;
  const keys = Object.keys(specs);
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(specs, key)) continue;
    if (keys.length === 0) {
      throw new UserInputError(`unknown option "${key}": ${owner} has no options.`);
    }
    throw unknownChoiceError(`option of ${owner}`, key, keys);
  }
  const resolved: Record<string, Value> = {};
  for (const key of keys) {
    const spec = specs[key];
    resolved[key] =
      Object.hasOwn(given, key) && given[key] !== undefined
        ? coerce(owner, key, spec, given[key])
        : spec.default;
  }
  return resolved;
}

/**
 * Checks that a set of option specs is self-consistent: choices only on string options,
 * min ≤ max only on numeric ones, and every default satisfying its own constraints.
 * Returns a list of problems (empty when the specs are sound).
 */
export function optionSpecProblems(specs: Readonly<Record<string, OptionSpec>>): string[] {
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(specs)) {
    const kind = typeof spec.default;
    if (kind !== "number" && kind !== "boolean" && kind !== "string") {
      problems.push(`option "${key}": default must be a number, boolean or string`);
      continue;
    }
    if (spec.choices !== undefined) {
      if (kind !== "string") problems.push(`option "${key}": choices are only for string options`);
      else if (spec.choices.length === 0) problems.push(`option "${key}": choices is empty`);
      else if (!spec.choices.includes(spec.default as string))
        problems.push(
          `option "${key}": default "${spec.default}" is not one of its choices (${spec.choices.join(", ")})`,
        );
    }
    if ((spec.min !== undefined || spec.max !== undefined) && kind !== "number") {
      problems.push(`option "${key}": min/max are only for numeric options`);
    }
    if (kind === "number") {
      const value = spec.default as number;
      if (!Number.isFinite(value)) problems.push(`option "${key}": default is not finite`);
      if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max)
        problems.push(`option "${key}": min ${spec.min} is above max ${spec.max}`);
      if (
        (spec.min !== undefined && value < spec.min) ||
        (spec.max !== undefined && value > spec.max)
      )
        problems.push(`option "${key}": default ${value} is outside its own bounds`);
    }
  }
  return problems;
}
