/** Checks over lists that cannot pass by having nothing to check. */

/**
 * Whether `items` holds at least one item and every item passes `test`. `every` alone is
 * true of an empty list, so a check written with it passes when the stream, the run or the
 * report it filters has nothing in it at all.
 */
export function nonEmptyEvery<T>(items: readonly T[], test: (item: T) => boolean): boolean {
  return items.length > 0 && items.every(test);
}
