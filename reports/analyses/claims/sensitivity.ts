/**
 * `sensitivity(plan)`: the robustness analysis of `pkslab claims` for any comparison (for
 * `pkslab compare --sensitivity`). Every cost parameter the plan's profile marks unverified
 * or derived is moved to each end of its documented range, one at a time, then all jointly
 * to the low and the high corner; for each workload it reports whether the ranking of
 * strategies by mean cycles/op changes, and under which parameter values.
 */
import { type CellResult, type ComparisonPlan, runComparison } from "../../../core/compare.ts";
import { applyVariant, type ProfileVariant } from "./plan.ts";
import { type CacheCounts, planRequests, RunCache } from "./run-cache.ts";
import { sweepVariants, sweptParameters, sweptStrategyCosts } from "./variants.ts";

export interface RankingChange {
  readonly variant: string;
  readonly changes: Readonly<Record<string, number>>;
  readonly ranking: readonly string[];
  /** Whether this variant changes the winner (not only the order of the others). */
  readonly winnerChanged: boolean;
}

export interface WorkloadSensitivity {
  readonly workload: string;
  /** Strategies that served the workload, cheapest first (mean cycles/op). */
  readonly ranking: readonly string[];
  readonly stable: boolean;
  readonly changes: readonly RankingChange[];
  /**
   * The cheapest strategy other than the baseline, with any that cost exactly as much
   * joined by " = " (undefined when none served).
   */
  readonly winner?: string;
  /** No variant changes the winner (the order of the others may still change). */
  readonly winnerStable: boolean;
  /**
   * The swept parameters (or "joint corner") under which the winner changes: the winner
   * is conditional on each staying inside the part of its range where it holds.
   */
  readonly decisive: readonly string[];
}

export interface SensitivityReport {
  readonly profile: string;
  readonly sweptParameters: readonly string[];
  readonly variants: number;
  readonly workloads: readonly WorkloadSensitivity[];
}

/** Mean cycles/op per workload and strategy (cells that ran ok). */
function meanCosts(cells: readonly CellResult[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const cell of cells) {
    if (cell.status !== "ok" || cell.runs.length === 0) continue;
    const cost =
      cell.runs.reduce((sum, run) => sum + run.metrics["cost.cycles_per_op"], 0) / cell.runs.length;
    const map = out.get(cell.workload) ?? new Map<string, number>();
    map.set(cell.strategy, cost);
    out.set(cell.workload, map);
  }
  return out;
}

/**
 * The winner of a ranking: the cheapest strategy other than the baseline, with every
 * strategy that costs exactly as much (a tie, e.g. pks-kmap and kmap-local-range on
 * single-page maps), joined with " = ".
 */
function winnerWithTies(
  ranking: readonly string[],
  costs: ReadonlyMap<string, number> | undefined,
  baseline: string,
): string | undefined {
  const candidates = ranking.filter((strategy) => strategy !== baseline);
  if (candidates.length === 0) return undefined;
  const best = costs?.get(candidates[0]);
  const tied = candidates.filter((strategy) => costs?.get(strategy) === best);
  return tied.join(" = ");
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
  /** The baseline strategy, which is not a candidate for winner (default "unprotected"). */
  readonly baseline?: string;
}

/** The cheapest strategy of a ranking other than the baseline. */
export function winnerOf(ranking: readonly string[], baseline: string): string | undefined {
  return ranking.find((strategy) => strategy !== baseline);
}

export function sensitivity(
  plan: ComparisonPlan,
  options: SensitivityOptions = {},
): SensitivityReport {
  const run = options.run ?? ((p: ComparisonPlan) => runComparison(p));
  const variants = sweepVariants(
    plan.profile,
    plan.strategies.map((s) => s.module),
  );
  const baseCells = run(plan);
  const variantCells = variants.map((variant, index) => {
    const cells = run(applyVariant(plan, variant));
    options.onVariant?.(index + 1, variants.length, variant.label);
    return cells;
  });
  return assemble(plan, options.baseline ?? "unprotected", baseCells, variants, variantCells);
}

/**
 * The same report as `sensitivity`, through a run cache (run-cache.ts): the base cells run
 * traced, a variant's cell that provably equals its base cell (only parameters the base
 * never used changed) is shared, each other distinct cell runs once on `jobs` threads.
 */
export async function sensitivityCached(
  plan: ComparisonPlan,
  options: { baseline?: string; jobs?: number; onCounts?: (counts: CacheCounts) => void } = {},
): Promise<SensitivityReport> {
  const cache = new RunCache();
  const variants = sweepVariants(
    plan.profile,
    plan.strategies.map((s) => s.module),
  );
  const baseCells = await cache.cells(planRequests(plan), options.jobs, { trace: true });
  const requests = variants.map((variant) => planRequests(applyVariant(plan, variant)));
  const all = await cache.cells(requests.flat(), options.jobs);
  options.onCounts?.(cache.counts);
  let at = 0;
  const variantCells = requests.map((list) => {
    at += list.length;
    return all.slice(at - list.length, at);
  });
  return assemble(plan, options.baseline ?? "unprotected", baseCells, variants, variantCells);
}

/** The report from the base cells and each variant's cells. */
function assemble(
  plan: ComparisonPlan,
  baseline: string,
  baseCells: readonly CellResult[],
  variants: readonly ProfileVariant[],
  cellsOf: readonly (readonly CellResult[])[],
): SensitivityReport {
  const base = rankings(baseCells);
  const baseCosts = meanCosts(baseCells);
  const modules = plan.strategies.map((s) => s.module);
  const changes = new Map<string, RankingChange[]>();
  variants.forEach((variant, index) => {
    const variantCells = cellsOf[index];
    const ranked = rankings(variantCells);
    const costs = meanCosts(variantCells);
    for (const [workload, ranking] of base) {
      const other = ranked.get(workload) ?? [];
      if (other.join(",") !== ranking.join(",")) {
        const list = changes.get(workload) ?? [];
        const winnerChanged =
          winnerWithTies(other, costs.get(workload), baseline) !==
          winnerWithTies(ranking, baseCosts.get(workload), baseline);
        list.push({
          variant: variant.label,
          changes: variant.changes,
          ranking: other,
          winnerChanged,
        });
        changes.set(workload, list);
      }
    }
  });
  return {
    profile: plan.profile.name,
    sweptParameters: [...sweptParameters(plan.profile), ...sweptStrategyCosts(modules)],
    variants: variants.length,
    workloads: [...base.entries()].map(([workload, ranking]) => {
      const list = changes.get(workload) ?? [];
      const flips = list.filter((change) => change.winnerChanged);
      const decisive = [
        ...new Set(
          flips.map((change) =>
            change.variant.includes("joint corner")
              ? "joint corner"
              : change.variant.slice(0, change.variant.lastIndexOf("=")),
          ),
        ),
      ];
      return {
        workload,
        ranking,
        stable: list.length === 0,
        changes: list,
        winner: winnerWithTies(ranking, baseCosts.get(workload), baseline),
        winnerStable: flips.length === 0,
        decisive,
      };
    }),
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
    const verdict =
      w.winner === undefined
        ? "no candidate served every map"
        : w.winnerStable
          ? `winner ${w.winner}: robust${w.stable ? "" : " (only the order of the others changes)"}`
          : `winner ${w.winner}: conditional on ${w.decisive.join(", ")} (the winner changes inside the documented range)`;
    out += `${format === "markdown" ? "  - " : "      "}${verdict}\n`;
    for (const change of w.changes) {
      out += `${format === "markdown" ? "  - " : "      "}${change.variant}: ${change.ranking.join(" < ")}${change.winnerChanged ? "  [winner changes]" : ""}\n`;
    }
  }
  return out;
}
