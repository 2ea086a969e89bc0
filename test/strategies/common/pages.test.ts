import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contiguousRuns } from "../../../strategies/common/pages.ts";

describe("contiguousRuns", () => {
  it("covers exactly the distinct pages, in ascending maximal runs", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (pfns) => {
        const runs = contiguousRuns(pfns);
        const covered = runs.flatMap(([first, count]) =>
          Array.from({ length: count }, (_, i) => first + i),
        );
        expect(covered).toEqual([...new Set(pfns)].sort((a, b) => a - b));
        for (let i = 1; i < runs.length; i++) {
          // Maximal: a gap of at least one page between runs.
          expect(runs[i][0]).toBeGreaterThan(runs[i - 1][0] + runs[i - 1][1]);
        }
        for (const [, count] of runs) expect(count).toBeGreaterThan(0);
        // Input already ascending (with repeats) takes the path without a sort: same runs.
        const ascending = [...pfns].sort((a, b) => a - b);
        expect(contiguousRuns(ascending)).toEqual(runs);
        expect(contiguousRuns(Uint32Array.from(ascending))).toEqual(runs);
      }),
    );
  });

  it("merges repeats and unsorted input, and reads typed arrays", () => {
    expect(contiguousRuns(Uint32Array.of(9, 3, 4, 4, 5, 11, 10, 3))).toEqual([
      [3, 3],
      [9, 3],
    ]);
    expect(contiguousRuns([])).toEqual([]);
  });
});
