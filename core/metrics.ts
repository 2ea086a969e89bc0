/**
 * The metric catalog: every metric name a run emits, declared once with its unit, what it
 * means and which direction is better. Reports take units and directions from here; a test
 * checks that every metric `runSimulation` emits is declared.
 *
 * Names are part of the result contract (issue 4): cost.*, events.*, coverage.*, compat.*,
 * exposure.*, memory.*, plus run.* bookkeeping and strategy.<name> counters that a strategy
 * reports from `onFinish` (declared by pattern, since only the strategy knows them). The
 * fixed names are declared by family in core/metrics/: `ledger-metrics.ts` (what a run cost:
 * cost.*, setup.*, events.*) and `outcome-metrics.ts` (what it saw: coverage.*, compat.*,
 * exposure.*, memory.*, run.*).
 *
 * @packageDocumentation
 */
import { LEDGER_METRICS } from "./metrics/ledger-metrics.ts";
import { OUTCOME_METRICS } from "./metrics/outcome-metrics.ts";
import type { MetricSpec } from "./metrics/spec.ts";

export type { MetricDirection, MetricSpec } from "./metrics/spec.ts";

function build(): Map<string, MetricSpec> {
  const specs: readonly MetricSpec[] = [...LEDGER_METRICS, ...OUTCOME_METRICS];
  const map = new Map<string, MetricSpec>();
  for (const spec of specs) {
    if (map.has(spec.name)) throw new Error(`metric ${spec.name} declared twice`);
    map.set(spec.name, spec);
  }
  return map;
}

/** Every fixed metric name, declared once. */
export const METRIC_CATALOG: ReadonlyMap<string, MetricSpec> = build();

/** Prefix of strategy-reported counters (`onFinish`), declared by pattern. */
export const STRATEGY_METRIC_PREFIX = "strategy.";

/** Prefix of the per-parameter steady-state cycles a run reports, declared by pattern. */
export const PARAMETER_METRIC_PREFIX = "cost.param.";

/** The spec of one metric, or undefined when it is not declared. */
export function metricSpec(name: string): MetricSpec | undefined {
  const spec = METRIC_CATALOG.get(name);
  if (spec) return spec;
  if (name.startsWith(PARAMETER_METRIC_PREFIX) && name.length > PARAMETER_METRIC_PREFIX.length) {
    return {
      name,
      unit: "cycles",
      description: `Steady-state cycles charged by cost parameter ${name.slice(PARAMETER_METRIC_PREFIX.length)}`,
      direction: "none",
    };
  }
  if (name.startsWith(STRATEGY_METRIC_PREFIX) && name.length > STRATEGY_METRIC_PREFIX.length) {
    return {
      name,
      unit: "count",
      description: `Strategy-specific counter "${name.slice(STRATEGY_METRIC_PREFIX.length)}" (reported by the strategy's onFinish)`,
      direction: "none",
    };
  }
  return undefined;
}

/**
 * The specs of `metricNames`, in the order given. An undeclared name is a programming error
 * (the engine emitted a metric nobody declared) and throws, naming it.
 */
export function catalogFor(metricNames: Iterable<string>): MetricSpec[] {
  const out: MetricSpec[] = [];
  for (const name of metricNames) {
    const spec = metricSpec(name);
    if (!spec) throw new Error(`metric "${name}" is not declared in core/metrics.ts`);
    out.push(spec);
  }
  return out;
}
