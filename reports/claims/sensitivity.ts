/**
 * `sensitivity(plan)`: the robustness analysis of `pkslab claims` for any comparison (for
 * `pkslab compare --sensitivity`). Every cost parameter the plan's profile marks unverified
 * or derived is moved to each end of its documented range, one at a time, then all jointly
 * to the low and the high corner; for each workload it reports whether the ranking of
 * strategies by mean cycles/op changes, and under which parameter values.
 */
import { type CellResult, type ComparisonPlan, runComparison } from "../../core/compare.ts";
import {
  applyVariant,
  type ProfileVariant,
  sweepVariants,
  sweptParameters,
  sweptStrategyCosts,
} from "./evaluate.ts";

export interface RankingChange {
  readonly variant: string;
  readonly changes: Readonly<Record<string, number>>;
  readonly ranking: readonly string[];
}

export interface WorkloadSensitivity {
  readonly workload: string;
  /** Strategies that served the workload, cheapest first (mean cycles/op). */
  readonly ranking: readonly string[];
  readonly stable: boolean;
  readonly changes: readonly RankingChange[];
}

export interface SensitivityReport {
  readonly profile: string;
  readonly sweptParameters: readonly string[];
  readonly variants: number;
  readonly workloads: readonly WorkloadSensitivity[];
}

/** Ranking per workload: strategies whose cell ran ok, by mean cycles/op (ties by name). */
export function rankings(cells: readonly CellResult[]): Map<string, string[]> {
  const byWorkload = new Map<string, { strategy: string; cost: number }[]>();
  for (const cell of cells) {
    if (cell.status !== "ok" || cell.runs.length === 0) continue;
    const cost =
      cell.runs.reduce((sum, run) => sum + run.metrics["cost.cycles_per_op"], 0) / cell.runs.length;
    const list = byWorkload.get(cell.workload) ?? [];
    list.push({ strategy: cell.strategy, cost });
    byWorkload.set(cell.workload, list);
  }
  const out = new Map<string, string[]>();
  for (const [workload, list] of byWorkload) {
    out.set(
      workload,
      list
        .sort((a, b) => a.cost - b.cost || a.strategy.localeCompare(b.strategy))
        .map((item) => item.strategy),
    );
  }
  return out;
}

export interface SensitivityOptions {
  /** Runs the comparison of one plan (default runComparison; the CLI may pass its parallel runner). */
  readonly run?: (plan: ComparisonPlan) => CellResult[];
  readonly onVariant?: (done: number, total: number, label: string) => void;
}

export function sensitivity(
  plan: ComparisonPlan,
  options: SensitivityOptions = {},
): SensitivityReport {
  const run = options.run ?? ((p: ComparisonPlan) => runComparison(p));
  const base = rankings(run(plan));
  const modules = plan.strategies.map((s) => s.module);
  const variants: ProfileVariant[] = sweepVariants(plan.profile, modules);
  const changes = new Map<string, RankingChange[]>();
  variants.forEach((variant, index) => {
    const ranked = rankings(run(applyVariant(plan, variant)));
    for (const [workload, ranking] of base) {
      const other = ranked.get(workload) ?? [];
      if (other.join(",") !== ranking.join(",")) {
        const list = changes.get(workload) ?? [];
        list.push({ variant: variant.label, changes: variant.changes, ranking: other });
        changes.set(workload, list);
      }
    }
    options.onVariant?.(index + 1, variants.length, variant.label);
  });
  return {
    profile: plan.profile.name,
    sweptParameters: [...sweptParameters(plan.profile), ...sweptStrategyCosts(modules)],
    variants: variants.length,
    workloads: [...base.entries()].map(([workload, ranking]) => ({
      workload,
      ranking,
      stable: !changes.has(workload),
      changes: changes.get(workload) ?? [],
    })),
  };
}

export const SENSITIVITY_FORMATS = ["table", "markdown", "json"] as const;

/** Plain text, markdown or JSON. */
export function renderSensitivity(
  report: SensitivityReport,
  format: (typeof SENSITIVITY_FORMATS)[number] = "table",
): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  const bullet = format === "markdown" ? "- " : "  ";
  let out =
    format === "markdown"
      ? `## Sensitivity of the ranking (profile ${report.profile})\n\n`
      : `Sensitivity of the ranking (profile ${report.profile})\n`;
  out += `${report.variants} variants: each of ${report.sweptParameters.length} unverified/derived parameters at both ends of its range, and the two joint corners.\n\n`;
  for (const w of report.workloads) {
    out += `${bullet}${w.workload}: ${w.ranking.join(" < ")}: ${w.stable ? "stable" : "changes"}\n`;
    for (const change of w.changes) {
      out += `${format === "markdown" ? "  - " : "      "}${change.variant}: ${change.ranking.join(" < ")}\n`;
    }
  }
  return out;
}
