/**
 * The option contract shared by strategies (options) and workloads (parameters): how an
 * option is declared ({@link OptionSpec}), the resolved values ({@link OptionValues}), and
 * resolving and validating user-given values against their specs, each through a
 * zod schema built from its spec ({@link optionSchema}). Used for
 * strategy options and for workload parameters alike: every error names the owner (kind and
 * name), the option and what was wrong, and throws {@link UserInputError} so that the CLI
 * prints it and exits 2.
 */
import { z } from "zod";
import { UserInputError, unknownChoiceError } from "../errors.ts";
import { numberFromInput } from "../number-input.ts";

/** Kind of value an option takes. */
export type OptionKind = "number" | "boolean" | "string";

/**
 * Declares one option of a strategy (or workload): its default, unit and meaning.
 * `choices` restricts string options.
 * @public
 */
export interface OptionSpec {
  /** Default value; its JavaScript type fixes the option's kind. */
  readonly default: number | boolean | string;
  /** Unit of a numeric option ("pages", "cycles", "-" when unitless). */
  readonly unit: string;
  /** One sentence: what the option changes. */
  readonly description: string;
  /** Allowed values of a string option. */
  readonly choices?: readonly string[];
  /** Inclusive bounds of a numeric option. */
  readonly min?: number;
  readonly max?: number;
}

/** Resolved option values, by name, when nothing more is known of the specs. @public */
export type OptionValues = Readonly<Record<string, number | boolean | string>>;

/** An option spec whose values are numbers. @public */
export type NumberOptionSpec = OptionSpec & { readonly default: number };
/** An option spec whose values are booleans. @public */
export type BooleanOptionSpec = OptionSpec & { readonly default: boolean };
/** An option spec whose values are strings (free text, or one of `choices`). @public */
export type StringOptionSpec = OptionSpec & { readonly default: string };

/** A module's declared options (or parameters), by name. @public */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/**
 * The type of the parsed value of one option, read from its spec: the union of its
 * `choices` when it has them (`choices: ["lazy", "eager"]` gives `"lazy" | "eager"`), else
 * the kind of its default (`number`, `boolean` or `string`). A spec whose default is not
 * known more precisely than {@link OptionSpec} gives any option value.
 * @public
 */
export type OptionValue<S extends OptionSpec> = S extends {
  readonly choices: readonly (infer C extends string)[];
}
  ? C
  : [S["default"]] extends [number]
    ? number
    : [S["default"]] extends [boolean]
      ? boolean
      : [S["default"]] extends [string]
        ? string
        : number | boolean | string;

/**
 * The parsed values of a set of option specs, by name, each typed by its spec
 * ({@link OptionValue}). This is what a strategy's `context.options` and a workload's
 * `params` are: resolved before the module sees them, so it reads them without casts.
 * @public
 */
export type OptionValuesOf<O extends OptionSpecs> = {
  readonly [K in keyof O]: OptionValue<O[K]>;
};

/**
 * Declares a set of option specs outside a `defineStrategy`/`defineWorkload` call (to share
 * them, or to name them), keeping their literal types so that {@link OptionValuesOf} can
 * read the choices and kinds. Returns its argument.
 * @public
 */
export function defineOptions<const O extends OptionSpecs>(specs: O): O {
  return specs;
}

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

/** Why a given value does not fit its option: the message's variable part. */
type Misfit = { readonly kind: "type" } | { readonly kind: "range"; readonly value: number };

/**
 * The zod schema of one option's values, built from its spec: numbers (from numbers or
 * numeric text, within min/max), booleans (from booleans or true/false/yes/no/on/off/1/0)
 * or strings (within their choices). Values from the command line arrive as text.
 */
export function optionSchema(spec: OptionSpec): z.ZodType<Value> {
  const misfit = (ctx: z.core.$RefinementCtx, params: Misfit) =>
    ctx.addIssue({ code: "custom", params });
  const kind = optionKind(spec);
  if (kind === "number") {
    return z.unknown().transform((given, ctx): number => {
      const value = numberFromInput(given);
      if (!Number.isFinite(value)) misfit(ctx, { kind: "type" });
      else if (
        (spec.min !== undefined && value < spec.min) ||
        (spec.max !== undefined && value > spec.max)
      )
        misfit(ctx, { kind: "range", value });
      return value;
    });
  }
  if (kind === "boolean") {
    return z.unknown().transform((given, ctx): boolean => {
      if (typeof given === "boolean") return given;
      const word = typeof given === "string" ? given.trim().toLowerCase() : "";
      if (TRUE_WORDS.has(word)) return true;
      if (!FALSE_WORDS.has(word)) misfit(ctx, { kind: "type" });
      return false;
    });
  }
  return z.unknown().transform((given, ctx): string => {
    if (typeof given !== "string") misfit(ctx, { kind: "type" });
    return String(given);
  });
}

/** Converts one given value to the option's kind through its schema. */
function coerce(owner: string, key: string, spec: OptionSpec, given: unknown): Value {
  const parsed = optionSchema(spec).safeParse(given);
  if (parsed.success) {
    const value = parsed.data;
    // Choices are checked here, for the did-you-mean of unknownChoiceError.
    if (typeof value === "string" && spec.choices && !spec.choices.includes(value)) {
      throw unknownChoiceError(`value for ${owner} option "${key}"`, value, spec.choices);
    }
    return value;
  }
  const problem = (parsed.error.issues[0] as { params?: Misfit }).params;
  if (problem?.kind === "range") {
    throw new UserInputError(
      `${owner}: option "${key}" is out of range: ${problem.value}; it must be ${describeExpected(spec)}.`,
    );
  }
  throw new UserInputError(
    `${owner}: option "${key}" must be ${describeExpected(spec)}; got ${show(given)}.`,
  );
}

/**
 * Resolves `given` against `specs`: every declared option gets its given value (converted
 * and checked) or its default. An unknown key, a value of the wrong type, a number out of
 * range or a string outside its choices is a {@link UserInputError} naming the owner and
 * the key, with the valid choices.
 */
export function resolveOptions<O extends OptionSpecs>(
  ownerKind: OptionOwnerKind,
  ownerName: string,
  specs: O,
  given: Readonly<Record<string, unknown>> = {},
): OptionValuesOf<O> {
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
  // Every key of `specs` now holds a value of its spec's kind, within its choices: the
  // shape OptionValuesOf<O> states, which TypeScript cannot follow through the loop.
  return resolved as OptionValuesOf<O>;
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
