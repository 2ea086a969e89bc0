/**
 * The verdict side of a result document: each cell's paired change against the baseline,
 * the overall change over the workloads every compared strategy served, and how much of
 * it rests on unverified cost parameters. Only cells that did all their work (`ok`) enter
 * a verdict; the rest are named with their reasons (docs/statistics.md).
 *
 * @packageDocumentation
 */
import type { CellResult } from "../../core/compare.ts";
import { PARAMETER_METRIC_PREFIX } from "../../core/metrics.ts";
import type {
  CellReport,
  OverallVerdict,
  PairedVerdict,
  UnverifiedBasis,
} from "./result-schema.ts";
import { median, PAIRED_METHOD, type PairedChange, pairedLogs, pairedRatio } from "./stats.ts";

/** The primary metric of every verdict: steady-state cycles per workload operation. */
export const PRIMARY_METRIC = "cost.cycles_per_op";

type Cell = Pick<CellResult, "status" | "runs">;

/** Per-seed values of a metric, by seed. */
function bySeed(cell: Cell, metric: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const run of cell.runs) out.set(run.seed, run.metrics[metric] ?? 0);
  return out;
}

/**
 * The paired change of `cell` against `base` on the primary metric, seed s against seed s.
 * Undefined when the baseline cell is not ok, the candidate is unsupported or failed, or
 * no seed pairs up; a partial candidate gets its change but is never significant.
 */
export function vsBaselineOf(base: Cell, cell: Cell): PairedVerdict | undefined {
  const paired = pairedChangeOf(base, cell, PRIMARY_METRIC);
  if (!paired) return undefined;
  return {
    metric: PRIMARY_METRIC,
    change: paired.change,
    ciLow: paired.ciLow,
    ciHigh: paired.ciHigh,
    n: paired.n,
    method: PAIRED_METHOD,
    confidence: 0.95,
    significant: paired.significant,
  };
}

/**
 * The paired change of any metric of `cell` against `base` (as {@link vsBaselineOf} does
 * for cycles/op): undefined unless the baseline is ok and the candidate ok or partial.
 */
export function pairedChangeOf(base: Cell, cell: Cell, metric: string): PairedChange | undefined {
  if (base.status !== "ok") return undefined;
  if (cell.status !== "ok" && cell.status !== "partial") return undefined;
  const baseValues = bySeed(base, metric);
  const b: number[] = [];
  const c: number[] = [];
  for (const run of cell.runs) {
    const value = baseValues.get(run.seed);
    if (value === undefined) continue;
    b.push(value);
    c.push(run.metrics[metric] ?? 0);
  }
  const paired = pairedRatio(b, c);
  if (!paired) return undefined;
  return { ...paired, significant: paired.significant && cell.status === "ok" };
}

/** Workload names in result order. */
function workloadNames(results: readonly CellReport[]): string[] {
  return [...new Set(results.map((cell) => cell.workload))];
}

function cellOf(
  results: readonly CellReport[],
  workload: string,
  strategy: string,
): CellReport | undefined {
  return results.find((cell) => cell.workload === workload && cell.strategy === strategy);
}

/**
 * The common ground of a comparison: the workloads on which the baseline and every
 * compared strategy are ok, and why each other workload is left out. A strategy that is
 * ok on no workload at all (it cannot run on this machine: pks-kmap without PKS) gets no
 * overall figure and does not empty the common ground of the others: it is `absent`.
 * The baseline is always required.
 */
export function commonGround(
  strategies: readonly string[],
  results: readonly CellReport[],
  baseline?: string,
): {
  workloads: string[];
  excluded: { workload: string; reason: string }[];
  absent: string[];
} {
  const workloads: string[] = [];
  const excluded: { workload: string; reason: string }[] = [];
  const names = workloadNames(results);
  const okSomewhere = (name: string) =>
    names.some((workload) => cellOf(results, workload, name)?.status === "ok");
  const absent = strategies.filter((name) => name !== baseline && !okSomewhere(name));
  const present = strategies.filter((name) => !absent.includes(name));
  for (const workload of names) {
    const notOk = present
      .map((name) => ({ name, cell: cellOf(results, workload, name) }))
      .filter(({ cell }) => cell?.status !== "ok")
      .map(({ name, cell }) => `${name} ${cell ? cell.status : "did not run"}`);
    if (notOk.length === 0) workloads.push(workload);
    else excluded.push({ workload, reason: notOk.join(", ") });
  }
  return { workloads, excluded, absent };
}

/** Seeds every given cell ran, in the first cell's order. */
function commonSeeds(cells: readonly CellReport[]): number[] {
  if (cells.length === 0) return [];
  const sets = cells.map((cell) => new Set(cell.runs.map((run) => run.seed)));
  return cells[0].runs.map((run) => run.seed).filter((seed) => sets.every((set) => set.has(seed)));
}

/**
 * Per candidate, the geometric-mean change of the primary metric against the baseline over
 * the common workloads. Its interval pairs seeds: for each seed, the mean over the common
 * workloads of log(candidate / baseline), then a Student-t interval over the seeds (the
 * workloads are the fixed design, the seeds the replication).
 */
export function overallVerdicts(
  baseline: string,
  strategies: readonly string[],
  results: readonly CellReport[],
): OverallVerdict[] {
  const ground = commonGround(strategies, results, baseline);
  const all = workloadNames(results);
  return strategies
    .filter((name) => name !== baseline)
    .map((strategy): OverallVerdict => {
      const served = {
        ok: all.filter((w) => cellOf(results, w, strategy)?.status === "ok").length,
        of: all.length,
      };
      // A strategy ok nowhere gets no figure (it is named absent, not averaged in).
      const used = ground.absent.includes(strategy) ? [] : ground.workloads;
      const pairs = used.map((w) => ({
        base: cellOf(results, w, baseline) as CellReport,
        mine: cellOf(results, w, strategy) as CellReport,
      }));
      const seeds = commonSeeds(pairs.flatMap((p) => [p.base, p.mine]));
      const logRatio = (cell: { base: CellReport; mine: CellReport }, seed: number) => {
        const b = cell.base.runs.find((run) => run.seed === seed)?.metrics[PRIMARY_METRIC] ?? 0;
        const c = cell.mine.runs.find((run) => run.seed === seed)?.metrics[PRIMARY_METRIC] ?? 0;
        return b > 0 && c > 0 ? Math.log(c / b) : Number.NaN;
      };
      const perSeed = seeds.map(
        (seed) => pairs.reduce((sum, p) => sum + logRatio(p, seed), 0) / pairs.length,
      );
      const perWorkload = pairs.map(
        (p) => Math.exp(seeds.reduce((sum, seed) => sum + logRatio(p, seed), 0) / seeds.length) - 1,
      );
      const paired = pairs.length > 0 ? pairedLogs(perSeed) : undefined;
      const finite = perWorkload.filter(Number.isFinite);
      return {
        strategy,
        metric: PRIMARY_METRIC,
        change: paired ? paired.change : null,
        ciLow: paired ? paired.ciLow : null,
        ciHigh: paired ? paired.ciHigh : null,
        n: paired ? paired.n : 0,
        method: `${PAIRED_METHOD}, each seed's log ratio averaged over the common workloads`,
        significant: paired ? paired.significant : false,
        min: finite.length > 0 ? Math.min(...finite) : null,
        median: finite.length > 0 ? median(finite) : null,
        max: finite.length > 0 ? Math.max(...finite) : null,
        workloads: ground.workloads,
        excluded: ground.excluded,
        served,
      };
    });
}

/** Mean over a cell's seeds of a metric per workload operation (0 without runs). */
export function meanPerOp(cell: Pick<CellReport, "runs">, metric: string): number {
  if (cell.runs.length === 0) return 0;
  let sum = 0;
  for (const run of cell.runs) {
    const ops = Math.max(1, run.metrics["run.operations"] ?? 0);
    sum += (run.metrics[metric] ?? 0) / ops;
  }
  return sum / cell.runs.length;
}

/**
 * How much of the candidates' changes on the common workloads was charged by unverified
 * parameters: for every candidate and common workload, the absolute change in each
 * parameter's cycles per operation (and in simulated waits and compute), as shares of
 * their sum. The parameters with the largest shares are what the verdict leans on.
 */
export function unverifiedBasis(
  costProfile: {
    parameters: Record<string, { confidence: string }>;
    strategyParameters: Record<string, Record<string, { confidence: string }>>;
  },
  baseline: string,
  results: readonly CellReport[],
): UnverifiedBasis {
  const confidence = new Map<string, string>();
  for (const [name, entry] of Object.entries(costProfile.parameters))
    confidence.set(name, entry.confidence);
  for (const entries of Object.values(costProfile.strategyParameters)) {
    for (const [name, entry] of Object.entries(entries)) confidence.set(name, entry.confidence);
  }
  const names = [...confidence]
    .filter(([, level]) => level === "unverified")
    .map(([name]) => name)
    .sort();
  const strategies = [...new Set(results.map((cell) => cell.strategy))];
  const ground = commonGround(strategies, results, baseline);
  const byParameter = new Map<string, number>();
  let total = 0;
  for (const workload of ground.workloads) {
    const base = cellOf(results, workload, baseline);
    if (!base) continue;
    for (const strategy of strategies) {
      if (strategy === baseline || ground.absent.includes(strategy)) continue;
      const mine = cellOf(results, workload, strategy);
      if (!mine) continue;
      const metrics = new Set(
        [...base.runs, ...mine.runs].flatMap((run) =>
          Object.keys(run.metrics).filter((m) => m.startsWith(PARAMETER_METRIC_PREFIX)),
        ),
      );
      metrics.add("cost.confidence.simulated");
      for (const metric of metrics) {
        const change = Math.abs(meanPerOp(mine, metric) - meanPerOp(base, metric));
        total += change;
        if (metric.startsWith(PARAMETER_METRIC_PREFIX)) {
          const name = metric.slice(PARAMETER_METRIC_PREFIX.length);
          byParameter.set(name, (byParameter.get(name) ?? 0) + change);
        }
      }
    }
  }
  const leaning =
    total > 0
      ? names
          .map((parameter) => ({ parameter, share: (byParameter.get(parameter) ?? 0) / total }))
          .filter((row) => row.share > 0)
          .sort((a, b) => b.share - a.share || a.parameter.localeCompare(b.parameter))
      : [];
  return {
    parameters: names.length,
    of: confidence.size,
    names,
    share: total > 0 ? leaning.reduce((sum, row) => sum + row.share, 0) : null,
    leaning: leaning.slice(0, 5),
  };
}
