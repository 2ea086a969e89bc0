/**
 * Option specs of the built-in strategies: every built-in option is a choice among named
 * mechanisms (`flush: lazy | eager`), unitless.
 *
 * @packageDocumentation
 */

/**
 * A choice option: one of `choices`, `value` by default. The choices keep their literal
 * types, so `context.options` has their union.
 */
export function choice<const C extends readonly [string, ...string[]]>(
  choices: C,
  value: C[number],
  description: string,
) {
  return { default: value, unit: "-", description, choices } as const;
}
