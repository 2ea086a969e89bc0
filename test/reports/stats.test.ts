import { describe, expect, it } from "vitest";
import * as stats from "../../reports/results/stats.ts";

describe("seed statistics on known inputs", () => {
  it("gives mean, sd and a Student-t 95% CI", () => {
    const s = stats.summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(2.13809, 5);
    // t(0.975, 7) = 2.365
    expect(s.ciHigh - s.mean).toBeCloseTo((2.365 * 2.13809) / Math.sqrt(8), 4);
  });

  it("is exact for one value and for equal values", () => {
    expect(stats.summarize([3])).toEqual({ n: 1, mean: 3, sd: 0, ciLow: 3, ciHigh: 3 });
    const same = stats.summarize([4, 4, 4]);
    expect([same.ciLow, same.ciHigh]).toEqual([4, 4]);
  });

  it("calls intervals significant only when they do not overlap", () => {
    const a = stats.summarize([10, 11, 12]);
    expect(stats.significant(a, stats.summarize([20, 21, 22]))).toBe(true);
    expect(stats.significant(a, stats.summarize([11, 12, 13]))).toBe(false);
  });

  it("takes the geometric mean of positive values", () => {
    expect(stats.geometricMean([1, 4])).toBe(2);
    expect(stats.geometricMean([2, 8, 4])).toBeCloseTo(4, 12);
    expect(stats.geometricMean([])).toBeNaN();
    expect(stats.geometricMean([1, 0])).toBeNaN();
  });
});

describe("difference of means", () => {
  it("gives Welch's 95% CI", () => {
    const a = stats.summarize([10, 12, 14]); // mean 12, sd 2
    const b = stats.summarize([20, 21, 22, 23, 24]); // mean 22, sd 1.5811
    const d = stats.differenceCi(a, b);
    expect(d.diff).toBe(10);
    // va = 4/3, vb = 0.5, se = 1.354, df = 3.533 -> t = 2.927 (scipy t.ppf(0.975, 3.533))
    const se = Math.sqrt(4 / 3 + 0.5);
    expect(d.high - d.diff).toBeCloseTo(2.927 * se, 1);
    expect(d.low).toBeCloseTo(10 - (d.high - d.diff), 9);
  });

  it("is exact without spread and undefined with one value", () => {
    expect(stats.differenceCi(stats.summarize([1, 1]), stats.summarize([3, 3]))).toEqual({
      diff: 2,
      low: 2,
      high: 2,
    });
    expect(stats.differenceCi(stats.summarize([1]), stats.summarize([3, 4])).low).toBeNaN();
  });

  it("has t quantiles for small and large degrees of freedom", () => {
    expect(stats.t95(1)).toBe(12.706);
    expect(stats.t95(4)).toBe(2.776);
    expect(stats.t95(4.5)).toBeGreaterThan(2.571);
    expect(stats.t95(4.5)).toBeLessThan(2.776);
    expect(stats.t95(100)).toBeCloseTo(1.984, 2);
    expect(stats.t95(0.5)).toBeNaN();
    // Reference quantiles from scipy.stats.t.ppf(0.975, df).
    for (const [df, exact] of [
      [3.533, 2.927347],
      [4.5, 2.658912],
      [1.9998, 4.303065],
      [100, 1.983972],
    ]) {
      expect(Math.abs(stats.t95(df) / exact - 1), `df ${df}`).toBeLessThan(0.005);
    }
  });
});

describe("Welch degrees of freedom at their maximum", () => {
  it("does not lose a degree of freedom to rounding when the variances are equal", () => {
    const a = stats.summarize([1533.8808333333334, 1542.8975]);
    const b = stats.summarize([1893.7208333333333, 1902.6333333333334]);
    const d = stats.differenceCi(a, b);
    const se = Math.sqrt(a.sd ** 2 / 2 + b.sd ** 2 / 2);
    expect(d.high - d.diff).toBeCloseTo(4.303 * se, 1);
  });
});
