/**
 * Every command's flags as one zod schema each, and the building blocks they share. A
 * command hands commander's raw option object (plus its arguments) to {@link parseFlags} at
 * the start of its action; a bad value becomes one UserInputError (exit 2) that names the
 * flag, the value, what was expected and, for a name, the valid choices with a suggestion:
 *
 *   --cpus must be a whole number >= 1, got "0".
 *   --format: unknown format "markdwn". Did you mean "markdown"? Valid choices: table, ...
 *   --out /tmp/none/r.json: directory /tmp/none does not exist.
 *
 * Unknown flags stay commander's job. The sweep-specific options (--param, --vary, --metric,
 * --save-dir, --shard, sweep's --format) are checked by reports/cli/sweep.ts; the run
 * options sweep shares with compare go through {@link runFlagsSchema}.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { UserInputError, unknownChoiceError, zodIssueMessage } from "../../core/errors.ts";
import { numberFromInput } from "../../core/number-input.ts";
import { EMAIL_STYLES, FORMATS } from "../render/common.ts";
import { SWEEP_FORMATS } from "../render/sweep.ts";
import { parseAssignment, splitList } from "./config.ts";

/** What a flag schema says about a bad value: the `params` of its custom issue. */
export interface FlagProblem {
  /** The value as given. */
  readonly value: unknown;
  /** What was expected: "a whole number >= 1". */
  readonly expected?: string;
  /** The valid choices for a name, and what the names are ("format"). */
  readonly choices?: readonly string[];
  readonly noun?: string;
  /** What is wrong with a path: "no such directory". */
  readonly problem?: string;
  /** A whole message, used as it is. */
  readonly message?: string;
}

type Context = z.core.$RefinementCtx;

/**
 * Records a bad flag value (see {@link FlagProblem}) and returns zod's "no value". `path`
 * names the flag when the check runs on the whole object (a choice that depends on another
 * flag).
 */
export function reject(ctx: Context, problem: FlagProblem, path?: string[]): never {
  ctx.addIssue({
    code: "custom",
    message: problem.message ?? problem.expected ?? problem.problem ?? "invalid value",
    params: { ...problem },
    input: problem.value,
    ...(path ? { path } : {}),
  });
  return z.NEVER;
}

/** A whole number from `min` (to `max`), given as text (or as a number, from a default). */
export function wholeNumber(min: number, max?: number) {
  const expected =
    max === undefined ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  return z.unknown().transform((raw, ctx): number => {
    const value = numberFromInput(raw);
    if (!Number.isInteger(value) || value < min || (max !== undefined && value > max))
      return reject(ctx, { value: raw, expected });
    return value;
  });
}

/** A finite number >= 0, given as text. */
export function nonNegativeNumber() {
  return z.unknown().transform((raw, ctx): number => {
    const value = numberFromInput(raw);
    if (!Number.isFinite(value) || value < 0)
      return reject(ctx, { value: raw, expected: "a non-negative number" });
    return value;
  });
}

/** One of `choices`; anything else is "unknown <noun>", with the choices and a suggestion. */
export function choice<const T extends readonly string[]>(noun: string, choices: T) {
  return z.unknown().transform((raw, ctx): T[number] => {
    if (typeof raw === "string" && choices.includes(raw)) return raw;
    return reject(ctx, { value: raw, noun, choices });
  });
}

/** A comma list that names at least one thing (kept as the text, for the later lookups). */
export function nameList(noun: string) {
  return z.unknown().transform((raw, ctx): string => {
    if (typeof raw !== "string" || splitList(raw).length === 0)
      return reject(ctx, { value: raw, expected: `a comma list of ${noun}` });
    return raw;
  });
}

/** A comma list of some of `choices` (at least one), as an array. */
export function choiceList<const T extends readonly string[]>(noun: string, choices: T) {
  return z.unknown().transform((raw, ctx): T[number][] => {
    const parts = typeof raw === "string" ? splitList(raw) : [];
    if (parts.length === 0)
      return reject(ctx, {
        value: raw,
        expected: `a comma list of ${noun}s (${choices.join(", ")})`,
      });
    const unknown = parts.find((part) => !choices.includes(part));
    if (unknown !== undefined) return reject(ctx, { value: unknown, noun, choices });
    return parts as T[number][];
  });
}

/** Text, as commander gives it (a path, a name resolved later, an expression). */
export const text = () => z.string();
/** A repeatable flag's values. */
export const texts = () => z.array(z.string());
/** A switch. */
export const flag = () => z.boolean();

/** `--set TARGET.PARAM=VALUE` (the shape only; the target and value are resolved later). */
export function assignment() {
  return z.string().transform((raw, ctx): string => {
    try {
      parseAssignment(raw);
    } catch (error) {
      return reject(ctx, { value: raw, message: (error as Error).message });
    }
    return raw;
  });
}

/**
 * An output file: its directory must exist and it must not be a directory. Gives the
 * absolute path, checked before anything runs (so bad input never touches it).
 */
export function outPath() {
  return z.string().transform((raw, ctx): string => {
    const path = resolve(raw);
    const parent = dirname(path);
    if (!existsSync(parent) || !statSync(parent).isDirectory())
      return reject(ctx, { value: raw, problem: `directory ${parent} does not exist` });
    if (existsSync(path) && statSync(path).isDirectory())
      return reject(ctx, { value: raw, problem: "is a directory" });
    return path;
  });
}

/** An existing directory (absolute path); `missing` is the message when none is given. */
export function existingDirectory(missing: string) {
  return z.unknown().transform((raw, ctx): string => {
    if (raw === undefined || raw === "") return reject(ctx, { value: raw, message: missing });
    const path = resolve(String(raw));
    if (!existsSync(path)) return reject(ctx, { value: raw, problem: "no such directory" });
    if (!statSync(path).isDirectory())
      return reject(ctx, { value: raw, problem: "not a directory" });
    return path;
  });
}

/** An existing file (absolute path). */
export function existingFile() {
  return z.string().transform((raw, ctx): string => {
    const path = resolve(raw);
    if (!existsSync(path)) return reject(ctx, { value: raw, problem: "no such file" });
    if (!statSync(path).isFile()) return reject(ctx, { value: raw, problem: "not a file" });
    return path;
  });
}

/** `--kernel-src` for `kernelSrc`; arguments (no dashes) are listed in `labels`. */
function flagLabel(key: PropertyKey | undefined, labels: Readonly<Record<string, string>>): string {
  if (typeof key !== "string") return "a flag";
  return labels[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

const quoted = (value: unknown) =>
  typeof value === "string" ? JSON.stringify(value) : String(value);

/** The one message for a bad flag value: the flag, the value, what was expected. */
export function flagIssueMessage(
  issue: z.core.$ZodIssue,
  raw: unknown,
  labels: Readonly<Record<string, string>> = {},
): string {
  const label = flagLabel(issue.path[0], labels);
  const problem = issue.code === "custom" ? (issue.params as FlagProblem | undefined) : undefined;
  if (problem?.message !== undefined) return problem.message;
  if (problem?.choices)
    return `${label}: ${unknownChoiceError(problem.noun ?? "value", String(problem.value), problem.choices).message}`;
  if (problem?.problem !== undefined)
    return `${label} ${String(problem.value)}: ${problem.problem}.`;
  if (problem?.expected !== undefined)
    return `${label} must be ${problem.expected}, got ${quoted(problem.value)}.`;
  // A plain zod issue (a value of the wrong type reaching a schema): zod's words, per flag.
  const value = (raw as Record<PropertyKey, unknown> | undefined)?.[issue.path[0] ?? ""];
  return `${label}: ${zodIssueMessage({ ...issue, path: issue.path.slice(1) }, value).replace(/^\(top level\): /, "")}`;
}

/**
 * Validates a command's raw options (and arguments) with its schema. Returns the parsed
 * values; the first bad one is a UserInputError naming the flag. `labels` names keys that
 * are arguments rather than flags (`{ trace: "trace" }`).
 */
export function parseFlags<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  labels: Readonly<Record<string, string>> = {},
): z.output<S> {
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new UserInputError(flagIssueMessage(parsed.error.issues[0], raw, labels));
}

/**
 * A commander hook that validates a command's options with `schema` before its action
 * runs and hands the action the parsed values. Options the schema does not name are left
 * as commander parsed them.
 */
export function validateOptionsHook(schema: z.ZodObject) {
  return (command: Command): void => {
    const parsed = parseFlags(schema, command.opts()) as Record<string, unknown>;
    for (const [key, value] of Object.entries(parsed)) {
      command.setOptionValueWithSource(key, value, command.getOptionValueSource(key) ?? "cli");
    }
  };
}

/** The options `compare` and `sweep` share: what to run, on what machine, with what costs. */
export const runFlagsSchema = z.object({
  strategies: nameList("strategy names or plugin paths").optional(),
  workloads: nameList("workload names or plugin paths").optional(),
  plugin: texts().optional(),
  cpus: wholeNumber(1).optional(),
  seeds: wholeNumber(1).optional(),
  seed: wholeNumber(0).optional(),
  strayEvery: nonNegativeNumber().optional(),
  profile: text().optional(),
  set: z.array(assignment()).optional(),
  baseline: text().optional(),
  config: text().optional(),
  jobs: wholeNumber(1).optional(),
  check: flag().optional(),
  operationBudget: wholeNumber(1).optional(),
  cellTimeout: nonNegativeNumber().optional(),
  cellMemory: wholeNumber(0).optional(),
});

/** Report formats of `compare`: the renderers, and png (charts into a directory). */
export const COMPARE_FORMATS = [...FORMATS, "png"] as const;

/** `pkslab compare`. (--out is checked in reports/cli/compare.ts: png wants a directory.) */
export const compareFlagsSchema = runFlagsSchema.extend({
  format: choice("format", COMPARE_FORMATS).optional(),
  out: text().optional(),
  from: text().optional(),
  census: text().optional(),
  sensitivity: flag().optional(),
  style: choice("email style", EMAIL_STYLES).optional(),
  metrics: nameList("metric names").optional(),
  forceFormat: flag().optional(),
  date: flag().optional(),
});
export type CompareFlagValues = z.output<typeof compareFlagsSchema>;

/** Report formats of `sweep` and `merge`: the sweep renderers, json and png. */
export const SWEEP_REPORT_FORMATS = [...SWEEP_FORMATS, "json", "png"] as const;

/**
 * `pkslab sweep`: the run options and its own. The swept parameters, metrics and shard are
 * parsed in reports/cli/sweep.ts (parseSweepAxes, parseSweepMetrics, parseShard), which
 * know the targets and the metric catalog.
 */
export const sweepFlagsSchema = runFlagsSchema.extend({
  param: texts().optional(),
  vary: texts().optional(),
  metric: text().optional(),
  saveDir: text().optional(),
  shard: text().optional(),
  format: choice("format", SWEEP_REPORT_FORMATS).optional(),
  out: text().optional(),
  forceFormat: flag().optional(),
  date: flag().optional(),
});

/** `pkslab merge <shards...>`. */
export const mergeFlagsSchema = z.object({
  format: choice("format", SWEEP_REPORT_FORMATS).optional(),
  out: text().optional(),
  saveDir: text().optional(),
  forceFormat: flag().optional(),
  date: flag().optional(),
});

/** `pkslab list` and `pkslab describe <name>`. */
export const catalogFlagsSchema = z.object({
  plugin: texts().optional(),
  json: flag().optional(),
  profile: text().optional(),
});

/** `pkslab check-plugin <file>`. */
export const checkPluginFlagsSchema = z.object({
  json: flag().optional(),
  profile: text().optional(),
  cellTimeout: nonNegativeNumber().optional(),
  cellMemory: wholeNumber(0).optional(),
});

/** `pkslab diff <a> <b>`. */
export const diffFlagsSchema = z.object({
  out: outPath().optional(),
  metrics: nameList("metric names").optional(),
});

/** `pkslab machines`. */
export const machinesFlagsSchema = z.object({
  out: outPath().optional(),
  capability: text(),
});

/** `pkslab profile`. */
export const profileFlagsSchema = z.object({
  profile: text(),
  json: flag().optional(),
});
