/**
 * The shape of a metric's declaration in the catalog (core/metrics.ts).
 *
 * @packageDocumentation
 */
/** Which way is better: lower, higher, or neither (a count that describes the run). */
export type MetricDirection = "lower" | "higher" | "none";

/** One metric: its name, its unit, what it means, and which way is better. */
export interface MetricSpec {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly direction: MetricDirection;
}
