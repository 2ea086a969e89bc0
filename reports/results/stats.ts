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

/**
 * Two-sided 95% Student t quantile for `df` ≥ 1 degrees of freedom, fractional ones
 * included (Welch): exact at whole df up to 30, linear in 1/df in between and towards
 * 1.96 at infinity (within 0.5% of the true quantile).
 */
export function t95(df: number): number {
  if (!(df >= 1)) return Number.NaN;
  if (df >= T95.length) return 1.96 + (T95[T95.length - 1] - 1.96) * (T95.length / df);
  const low = Math.floor(df);
  if (low === df) return T95[low - 1];
  const fraction = (1 / low - 1 / df) / (1 / low - 1 / (low + 1));
  return T95[low - 1] + (T95[low] - T95[low - 1]) * fraction;
}

/** A difference of means with its 95% confidence interval. */
export interface Difference {
  /** mean(b) - mean(a). */
  readonly diff: number;
  readonly low: number;
  readonly high: number;
}

/**
 * 95% CI of mean(b) - mean(a) by Welch's t (unequal variances, Welch-Satterthwaite degrees
 * of freedom). Exact when both samples have no spread; NaN bounds when a side
 * has fewer than two values.
 */
export function differenceCi(a: Summary, b: Summary): Difference {
  const diff = b.mean - a.mean;
  if (a.n < 2 || b.n < 2) return { diff, low: Number.NaN, high: Number.NaN };
  const va = (a.sd * a.sd) / a.n;
  const vb = (b.sd * b.sd) / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { diff, low: diff, high: diff };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const half = t95(df) * se;
  return { diff, low: diff - half, high: diff + half };
}

/** How {@link pairedRatio} tests a change, as legends state it. */
export const PAIRED_METHOD = "paired t on per-seed log ratios";

/** A candidate's change against a baseline over paired seeds. */
export interface PairedChange {
  /** exp(mean log ratio) - 1: 0.23 for +23%. */
  readonly change: number;
  /** The 95% interval of the mean log ratio, transformed the same way. */
  readonly ciLow: number;
  readonly ciHigh: number;
  /** Seeds paired. */
  readonly n: number;
  readonly method: typeof PAIRED_METHOD;
  /** The interval excludes zero (n ≥ 2). */
  readonly significant: boolean;
}

/**
 * The change of `candidate` against `baseline` from per-seed pairs: the same seed drives
 * the same workload stream for every strategy, so seed s of one is compared with seed s of
 * the other. The log ratios get a Student-t 95% interval with n - 1 degrees of freedom
 * and are transformed back with exp(x) - 1. Undefined when a value is not positive (no
 * ratio) or no seed pairs. With n = 1 the interval is the point and nothing is
 * significant.
 */
export function pairedRatio(
  baseline: readonly number[],
  candidate: readonly number[],
): PairedChange | undefined {
  const n = Math.min(baseline.length, candidate.length);
  if (n === 0) return undefined;
  const logs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(baseline[i] > 0) || !(candidate[i] > 0)) return undefined;
    logs.push(Math.log(candidate[i] / baseline[i]));
  }
  return pairedLogs(logs);
}

/** {@link pairedRatio} from the per-pair log ratios themselves. */
export function pairedLogs(logs: readonly number[]): PairedChange | undefined {
  const n = logs.length;
  if (n === 0 || logs.some((value) => !Number.isFinite(value))) return undefined;
  const mean = logs.reduce((sum, value) => sum + value, 0) / n;
  if (n === 1) {
    const change = Math.exp(mean) - 1;
    return { change, ciLow: change, ciHigh: change, n, method: PAIRED_METHOD, significant: false };
  }
  const variance = logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const half = (t95(n - 1) * Math.sqrt(variance)) / Math.sqrt(n);
  const low = mean - half;
  const high = mean + half;
  return {
    change: Math.exp(mean) - 1,
    ciLow: Math.exp(low) - 1,
    ciHigh: Math.exp(high) - 1,
    n,
    method: PAIRED_METHOD,
    significant: low > 0 || high < 0,
  };
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
