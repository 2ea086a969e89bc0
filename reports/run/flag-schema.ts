/**
 * The building blocks of flag schemas, shared by the CLI (reports/cli/flags.ts) and the
 * analyses' commands (census, claims, validate, replay), which live below the CLI and do
 * not import it. A command hands commander's raw option object (plus its arguments) to
 * {@link parseFlags}; a bad value becomes one UserInputError (exit 2) that names the flag,
 * the value, what was expected and, for a name, the valid choices with a suggestion.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { UserInputError, unknownChoiceError, zodIssueMessage } from "../../core/errors.ts";
import { numberFromInput } from "../../core/number-input.ts";

/** Splits a comma list, dropping empty entries. */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === "string" ? value.split(",") : value.flatMap((v) => v.split(","));
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

/** A repeatable option's values, in the order given (commander's argument parser). */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];
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
