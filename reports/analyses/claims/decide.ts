/**
 * Deciding claims: a claim's cells run (on the runner's threads, through claims-run.ts),
 * their seed means, the predicate applied, and for a verdict a one-parameter variant flips,
 * the bisection of the value at which it flips.
 */

import {
  type CellResult,
  type ComparisonPlan,
  type PlannedStrategy,
  type PlannedWorkload,
  runComparison,
} from "../../../core/compare.ts";
import { placeRegion } from "../../../core/engine/index.ts";
import { Vmalloc } from "../../../core/kernel/vmalloc.ts";
import { Machine } from "../../../core/machine/index.ts";
import type { CostProfile } from "../../../core/profile.ts";
import { Rng } from "../../../core/rng.ts";
import { canonicalJson } from "../../results/provenance.ts";
import {
  type Claim,
  type ClaimCell,
  type ClaimDecision,
  type ClaimResults,
  VERDICTS,
  type Verdict,
} from "./claims.ts";
import {
  applyVariant,
  type ClaimsConfig,
  claimCells,
  claimsPlan,
  type ProfileVariant,
} from "./plan.ts";
import { builtInStrategy, type CellRequest, planRequests, type RunCache } from "./run-cache.ts";

/** Runs the cells of the plan that the claims read, workload-major, in plan order. */
export function runClaimCells(claims: readonly Claim[], plan: ComparisonPlan): CellResult[] {
  const pairs = claimCells(claims);
  const cells: CellResult[] = [];
  for (const workload of plan.workloads) {
    const wanted = pairs.get(workload.module.name);
    const strategies = plan.strategies.filter((s) => wanted?.has(s.module.name));
    if (strategies.length === 0) continue;
    cells.push(...runComparison({ ...plan, workloads: [workload], strategies }));
  }
  return cells;
}

/** Seed-mean metrics of a cell. */
function meanMetrics(cell: CellResult): Record<string, number> {
  const out: Record<string, number> = {};
  if (cell.runs.length === 0) return out;
  for (const name of Object.keys(cell.runs[0].metrics)) {
    let sum = 0;
    for (const run of cell.runs) sum += run.metrics[name] ?? 0;
    out[name] = sum / cell.runs.length;
  }
  return out;
}

/** Shootdowns a strategy's onSetup issues for a workload's region (boot-time work). */
function setupShootdowns(
  plan: ComparisonPlan,
  planned: PlannedWorkload,
  chosen: PlannedStrategy,
  profile: CostProfile,
): number {
  const machine = new Machine(plan.machine, profile);
  const spec = planned.module.region(planned.params);
  const region = {
    pfns: placeRegion(
      spec.pages,
      spec.contiguous,
      machine.pages,
      Rng.derive(plan.seeds[0] ?? 1, 1_000_001),
    ),
    keyMode: spec.keyMode,
    contiguous: spec.contiguous,
  };
  machine.watch(region.pfns);
  let vmalloc: Vmalloc | undefined;
  const hooks = chosen.module.create({
    machine,
    region,
    options: chosen.options,
    vmalloc(options) {
      vmalloc ??= new Vmalloc(machine, options);
      return vmalloc;
    },
    charge() {},
  });
  hooks.onSetup?.(region);
  return machine.ledger.eventCounts().shootdowns;
}

/**
 * What the claims read of a plan's cells. With `cache`, a built-in strategy's setup
 * shootdowns are computed once per setting and shared across profiles that cannot change
 * them (RunCache.profileValue); claims evaluate that for every workload of every variant.
 */
export function claimResults(
  plan: ComparisonPlan,
  cells: readonly CellResult[],
  cache?: RunCache,
): ClaimResults {
  const byKey = new Map<string, ClaimCell>();
  for (const cell of cells) {
    byKey.set(`${cell.workload}|${cell.strategy}`, {
      status: cell.status,
      reason: cell.reason,
      metrics: meanMetrics(cell),
    });
  }
  const setups = new Map<string, number>();
  return {
    workloads: plan.workloads.map((w) => w.module.name),
    cell: (workload, strategy) => byKey.get(`${workload}|${strategy}`),
    setupShootdowns(workload, strategy) {
      const key = `${workload}|${strategy}`;
      let value = setups.get(key);
      if (value === undefined) {
        value = setupValue(plan, workload, strategy, cache);
        setups.set(key, value);
      }
      return value;
    },
  };
}

/**
 * A strategy's setup shootdowns on a workload of the plan (0 when the plan has neither),
 * through the cache for a built-in strategy, keyed by everything but the profile.
 */
function setupValue(
  plan: ComparisonPlan,
  workload: string,
  strategy: string,
  cache: RunCache | undefined,
): number {
  const planned = plan.workloads.find((w) => w.module.name === workload);
  const chosen = plan.strategies.find((s) => s.module.name === strategy);
  if (!planned || !chosen) return 0;
  const compute = (profile: CostProfile) => setupShootdowns(plan, planned, chosen, profile);
  if (!cache || !builtInStrategy(chosen.module)) return compute(plan.profile);
  const key = canonicalJson({
    workload,
    params: planned.params,
    strategy,
    options: chosen.options,
    costs: chosen.module.costs,
    machine: plan.machine,
    seed: plan.seeds[0] ?? 1,
  });
  return cache.profileValue(key, plan.profile, compute);
}

/** Decides every claim on one profile; a predicate that throws is "not decidable". */
export function decideAll(claims: readonly Claim[], results: ClaimResults): ClaimDecision[] {
  return claims.map((claim) => {
    try {
      const decision = claim.decide(results);
      if (!VERDICTS.includes(decision?.verdict)) {
        return {
          verdict: "not decidable" as Verdict,
          evidence: [
            `the predicate returned the verdict ${JSON.stringify(decision?.verdict)}; expected one of ${VERDICTS.join(", ")}`,
          ],
        };
      }
      return decision;
    } catch (error) {
      return {
        verdict: "not decidable" as Verdict,
        evidence: [`the predicate failed: ${(error as Error).message}`],
      };
    }
  });
}

/** One decision of claims: on a machine size, under a variant of the cost parameters. */
interface ClaimsJob {
  readonly claims: readonly Claim[];
  readonly cpus: number;
  readonly variant?: ProfileVariant;
}

/** The cells of a plan that the claims read, workload-major, in plan order, as requests. */
function claimRequests(claims: readonly Claim[], plan: ComparisonPlan): CellRequest[] {
  const pairs = claimCells(claims);
  return planRequests(plan, (workload, strategy) => pairs.get(workload)?.has(strategy) === true);
}

/**
 * Decides each job's claims on its own plan. All the jobs' cells go to the run cache at
 * once, so that each distinct cell runs once (on `threads` threads) whichever jobs read it;
 * each job's cells come back in runClaimCells order, whatever thread ran them.
 */
export async function decideJobs(
  jobs: readonly ClaimsJob[],
  config: ClaimsConfig,
  threads: number | undefined,
  cache: RunCache,
  options: { trace?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<ClaimDecision[][]> {
  const plans = jobs.map((job) => {
    const base = claimsPlan(job.claims, { ...config, cpus: job.cpus });
    return job.variant ? applyVariant(base, job.variant) : base;
  });
  const requests = jobs.map((job, index) => claimRequests(job.claims, plans[index]));
  const results = await cache.cells(requests.flat(), threads, options);
  let at = 0;
  return jobs.map((job, index) => {
    const cells = results.slice(at, at + requests[index].length);
    at += requests[index].length;
    return decideAll(job.claims, claimResults(plans[index], cells, cache));
  });
}

/** A profile variant under which a verdict differs. */
export interface Flip {
  readonly label: string;
  readonly verdict: Verdict;
  readonly evidence: readonly string[];
  /**
   * For a one-parameter variant: the parameter, and the value (found by bisection between
   * the profile value and the range end) past which the verdict changes.
   */
  readonly parameter?: string;
  readonly threshold?: number;
  readonly direction?: "above" | "below";
}

/** A bisection of the value at which a one-parameter variant flips a claim's verdict. */
interface Bisection {
  readonly claim: Claim;
  readonly baseVerdict: Verdict;
  readonly parameter: string;
  readonly from: number;
  readonly to: number;
  readonly integer: boolean;
  readonly at: (value: number) => ProfileVariant;
  same: number;
  flipped: number;
  /** The value to decide at next; undefined once the bisection has ended. */
  mid?: number;
}

/** The bisection of a flip (undefined for joint corners and unknown strategies). */
export function bisection(
  claim: Claim,
  config: ClaimsConfig,
  variant: ProfileVariant,
  baseVerdict: Verdict,
): Bisection | undefined {
  const profileNames = Object.keys(variant.changes);
  const strategyEntries = Object.entries(variant.strategyCosts ?? {}).flatMap(([strategy, costs]) =>
    Object.entries(costs).map(([name, value]) => ({ strategy, name, value })),
  );
  if (profileNames.length + strategyEntries.length !== 1) return undefined;
  let parameter: string;
  let from: number;
  let to: number;
  let at: (value: number) => ProfileVariant;
  if (profileNames.length === 1) {
    parameter = profileNames[0];
    from = config.profile.parameters[parameter].value;
    to = variant.changes[parameter];
    at = (value) => ({ label: "", changes: { [parameter]: value } });
  } else {
    const { strategy, name, value } = strategyEntries[0];
    const base = claimsPlan([claim], config);
    const module = base.strategies.find((s) => s.module.name === strategy)?.module;
    if (!module) return undefined;
    parameter = `${strategy}.${name}`;
    from = module.costs[name].value;
    to = value;
    at = (v) => ({ label: "", changes: {}, strategyCosts: { [strategy]: { [name]: v } } });
  }
  const integer = Number.isInteger(from) && Number.isInteger(to);
  return { claim, baseVerdict, parameter, from, to, integer, at, same: from, flipped: to };
}

/** The next value a bisection decides at, or undefined when it cannot narrow further. */
function nextMid(b: Bisection): number | undefined {
  let mid = (b.same + b.flipped) / 2;
  if (b.integer) mid = Math.round(mid);
  return mid === b.same || mid === b.flipped ? undefined : mid;
}

/** Bisection steps when locating the value at which a one-parameter variant flips a verdict. */
const THRESHOLD_STEPS = 5;

/**
 * Where between the profile value and the variant's value each flip's verdict changes
 * (bisection on that claim's cells only, THRESHOLD_STEPS steps). The bisections advance
 * together, one step per round, so that each round's runs share the threads.
 */
export async function thresholds(
  bisections: readonly (Bisection | undefined)[],
  config: ClaimsConfig,
  threads: number | undefined,
  cache: RunCache,
): Promise<Pick<Flip, "parameter" | "threshold" | "direction">[]> {
  const active = bisections.filter((b): b is Bisection => b !== undefined);
  for (let step = 0; step < THRESHOLD_STEPS; step++) {
    for (const b of active) b.mid = nextMid(b);
    const round = active.filter((b) => b.mid !== undefined);
    if (round.length === 0) break;
    const decisions = await decideJobs(
      round.map((b) => ({ claims: [b.claim], cpus: config.cpus, variant: b.at(b.mid as number) })),
      config,
      threads,
      cache,
    );
    round.forEach((b, index) => {
      if (decisions[index][0].verdict === b.baseVerdict) b.same = b.mid as number;
      else b.flipped = b.mid as number;
    });
    // A bisection that could not narrow stops for good, as a loop of its own would.
    for (const b of active.filter((b) => b.mid === undefined)) active.splice(active.indexOf(b), 1);
  }
  return bisections.map((b) =>
    b === undefined
      ? {}
      : {
          parameter: b.parameter,
          threshold: b.flipped,
          direction: b.to > b.from ? "above" : "below",
        },
  );
}
