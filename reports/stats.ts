/** Two-sided 95% Student t quantiles for 1..30 degrees of freedom. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

/** Mean and 95% confidence interval of a sample (Student t; exact when n = 1 or sd = 0). */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly ciLow: number;
  readonly ciHigh: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0)
    return { n, mean: Number.NaN, sd: Number.NaN, ciLow: Number.NaN, ciHigh: Number.NaN };
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  if (n === 1) return { n, mean, sd: 0, ciLow: mean, ciHigh: mean };
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const sd = Math.sqrt(variance);
  const t = n - 1 <= T95.length ? T95[n - 2] : 1.96;
  const half = (t * sd) / Math.sqrt(n);
  return { n, mean, sd, ciLow: mean - half, ciHigh: mean + half };
}

/** True when two 95% intervals do not overlap (mmtests-style significance). */
export function significant(a: Summary, b: Summary): boolean {
  return a.ciHigh < b.ciLow || b.ciHigh < a.ciLow;
}

/** Geometric mean of positive values (NaN when empty or when one is not positive). */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0 || values.some((value) => !(value > 0))) return Number.NaN;
  return Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);
}
