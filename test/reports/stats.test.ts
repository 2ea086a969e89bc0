import { describe, expect, it } from "vitest";
import { geometricMean, significant, summarize } from "../../reports/stats.ts";

describe("seed statistics on known inputs", () => {
  it("gives mean, sd and a Student-t 95% CI", () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(2.13809, 5);
    // t(0.975, 7) = 2.365
    expect(s.ciHigh - s.mean).toBeCloseTo((2.365 * 2.13809) / Math.sqrt(8), 4);
  });

  it("is exact for one value and for equal values", () => {
    expect(summarize([3])).toEqual({ n: 1, mean: 3, sd: 0, ciLow: 3, ciHigh: 3 });
    const same = summarize([4, 4, 4]);
    expect([same.ciLow, same.ciHigh]).toEqual([4, 4]);
  });

  it("calls intervals significant only when they do not overlap", () => {
    const a = summarize([10, 11, 12]);
    expect(significant(a, summarize([20, 21, 22]))).toBe(true);
    expect(significant(a, summarize([11, 12, 13]))).toBe(false);
  });

  it("takes the geometric mean of positive values", () => {
    expect(geometricMean([1, 4])).toBe(2);
    expect(geometricMean([2, 8, 4])).toBeCloseTo(4, 12);
    expect(geometricMean([])).toBeNaN();
    expect(geometricMean([1, 0])).toBeNaN();
  });
});
