/**
 * Errors that come from what the user gave pkslab (flags, configs, plugins, paths).
 * The CLI prints the message alone (no stack trace) and exits with code 2.
 */
export class UserInputError extends Error {
  override readonly name = "UserInputError";
  /** Exit code the CLI uses for bad input. */
  readonly exitCode = 2;
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
