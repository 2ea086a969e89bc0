import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Errors that come from what the user gave pkslab (flags, configs, plugins, paths).
 * The CLI prints the message alone (no stack trace) and exits with code 2.
 */
export class UserInputError extends Error {
  override readonly name = "UserInputError";
  /** Exit code the CLI uses for bad input. */
  readonly exitCode = 2;
}

/**
 * The parsed JSON of the file at `path`, for a file the user named: a file that cannot be
 * read, is empty (with `rejectEmpty`) or is not JSON is a UserInputError naming `what`
 * (for example "config file") and the path. The caller validates the shape.
 */
export function readJsonFile(path: string, what: string, rejectEmpty = false): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UserInputError(`${what} ${path} cannot be read.`);
  }
  if (rejectEmpty && text.trim() === "") {
    throw new UserInputError(`${what} ${path} is empty; expected a JSON object.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Levenshtein distance, for "did you mean" suggestions on near-miss names. */
export function editDistance(a: string, b: string): number {
  const previous = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(
        previous[j] + 1,
        previous[j - 1] + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length];
}

/** The closest valid choice to `given`, if it is close enough to be a likely typo. */
export function closestChoice(given: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const choice of choices) {
    const distance = editDistance(given.toLowerCase(), choice.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = choice;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(given.length / 3)) ? best : undefined;
}

/** Builds the standard "unknown X" message: names the input, the valid choices and a suggestion. */
export function unknownChoiceError(
  what: string,
  given: string,
  choices: readonly string[],
): UserInputError {
  const suggestion = closestChoice(given, choices);
  const hint = suggestion ? ` Did you mean "${suggestion}"?` : "";
  return new UserInputError(
    `unknown ${what} "${given}".${hint} Valid choices: ${choices.join(", ")}.`,
  );
}

/** A zod issue as far as {@link zodIssueMessage} reads it (zod 4's issue union, loosely). */
interface ZodIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly input?: unknown;
  readonly expected?: string;
  readonly values?: readonly unknown[];
  readonly keys?: readonly string[];
  readonly errors?: readonly (readonly ZodIssueLike[])[];
}

/** A path inside a document, as a user would write it: `claims[0].all[0].right`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key)))
      text += text === "" ? String(key) : `.${String(key)}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** What a value is, for "received ...": its type and, for a scalar, the value itself. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isFinite(value) ? `number ${value}` : String(value);
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "boolean") return `boolean ${value}`;
  return typeof value;
}

/** The value at `path` inside `root` (undefined where the path leaves the document). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The text of one issue, without its path. `input` is the value the issue is about. */
function issueText(issue: ZodIssueLike, input: unknown, knownKeys?: readonly string[]): string {
  switch (issue.code) {
    case "invalid_type":
      return input === undefined
        ? `missing; expected ${issue.expected}`
        : `expected ${issue.expected}, received ${describeValue(input)}`;
    case "invalid_value": {
      const values = issue.values ?? [];
      const strings = values.filter((v): v is string => typeof v === "string");
      const suggestion =
        typeof input === "string" && strings.length > 0 ? closestChoice(input, strings) : undefined;
      return `expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}, received ${describeValue(input)}${suggestion ? `. Did you mean "${suggestion}"?` : ""}`;
    }
    case "unrecognized_keys": {
      const key = issue.keys?.[0] ?? "";
      const suggestion = knownKeys ? closestChoice(key, knownKeys) : undefined;
      return `unknown key "${key}".${suggestion ? ` Did you mean "${suggestion}"?` : ""}${knownKeys ? ` Valid keys: ${knownKeys.join(", ")}` : ""}`;
    }
    case "too_small":
    case "too_big":
    case "invalid_format":
    case "not_multiple_of":
      if (typeof input === "number") return `${issue.message}, received ${input}`;
      return typeof input === "string"
        ? `${issue.message}, received ${JSON.stringify(input)}`
        : issue.message;
    default:
      return issue.message;
  }
}

/**
 * One zod issue as a message that names the key at fault (`claims[0].all[0].right`), what
 * was expected and what was found: `expected number, received string "4"`. A failed union
 * lists what each alternative expected, or, when one alternative got past the type check,
 * reports that alternative's own problem (the one the user most likely meant).
 * `keysAt(path)` gives the valid keys of the object at `path`, for unknown-key suggestions.
 */
export function zodIssueMessage(
  issue: ZodIssueLike,
  root: unknown,
  keysAt?: (path: readonly PropertyKey[]) => readonly string[] | undefined,
): string {
  let path = issue.path;
  let current = issue;
  // A failed union: descend into the alternative that matched the type, if exactly one did.
  while (current.code === "invalid_union" && current.errors) {
    const deeper = current.errors.filter((branch) =>
      branch.some((inner) => inner.path.length > 0 || inner.code !== "invalid_type"),
    );
    if (deeper.length !== 1) break;
    const inner = deeper[0][0];
    path = [...path, ...inner.path];
    current = inner;
  }
  const input = "input" in current ? current.input : valueAt(root, path);
  let text: string;
  if (current.code === "invalid_union" && current.errors) {
    const expected = current.errors
      .map((branch) => branch.find((inner) => inner.code === "invalid_type")?.expected)
      .filter((name): name is string => name !== undefined);
    text =
      expected.length > 0
        ? `expected ${[...new Set(expected)].join(" or ")}, received ${describeValue(input)}`
        : current.message;
  } else {
    text = issueText(
      current,
      input,
      current.code === "unrecognized_keys" ? keysAt?.(path) : undefined,
    );
  }
  const sentence = /[.?!]$/.test(text) ? text : `${text}.`;
  if (current.code === "unrecognized_keys" && path.length === 0) return sentence;
  return `${path.length > 0 ? formatPath(path) : "(top level)"}: ${sentence}`;
}

/**
 * The keys of the object schema at `path` inside `schema` (through arrays, records, optional
 * and default wrappers and unions), for unknown-key suggestions; undefined if there is none.
 */
export function schemaKeysAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
): readonly string[] | undefined {
  let candidates: z.ZodType[] = [schema];
  const unwrap = (type: z.ZodType): z.ZodType[] => {
    if (
      type instanceof z.ZodOptional ||
      type instanceof z.ZodNullable ||
      type instanceof z.ZodDefault
    )
      return unwrap(type.unwrap() as z.ZodType);
    if (type instanceof z.ZodUnion) return (type.options as z.ZodType[]).flatMap(unwrap);
    return [type];
  };
  for (const key of [...path, undefined]) {
    candidates = candidates.flatMap(unwrap);
    if (key === undefined) break;
    candidates = candidates.flatMap((type): z.ZodType[] => {
      if (type instanceof z.ZodObject && typeof key === "string" && key in type.shape)
        return [type.shape[key] as z.ZodType];
      if (type instanceof z.ZodArray && typeof key === "number") return [type.element as z.ZodType];
      if (type instanceof z.ZodRecord) return [type.valueType as z.ZodType];
      return [];
    });
  }
  const object = candidates.find((type) => type instanceof z.ZodObject);
  return object instanceof z.ZodObject ? Object.keys(object.shape) : undefined;
}

/**
 * The message for a failed parse: {@link zodIssueMessage} of the issue most worth telling.
 * An unknown key comes first, since a misspelt key also shows up as a missing one.
 */
export function zodErrorMessage(
  issues: readonly ZodIssueLike[],
  root: unknown,
  keysAt?: (path: readonly PropertyKey[]) => readonly string[] | undefined,
): string {
  const issue = issues.find((candidate) => candidate.code === "unrecognized_keys") ?? issues[0];
  return zodIssueMessage(issue, root, keysAt);
}
