/**
 * Evaluates claims over one shared comparison (every claim's cells run once), and checks
 * each verdict's robustness: every cost parameter the profile marks unverified or derived
 * is moved to each end of its documented range, one at a time, then all of them jointly to
 * the low and the high corner; a verdict that changes names the parameter and value.
 */
import { createHash } from "node:crypto";
import { type CellResult, type ComparisonPlan, runComparison } from "../../core/compare.ts";
import { placeRegion } from "../../core/engine.ts";
import { Vmalloc } from "../../core/kernel/vmalloc.ts";
import { DEFAULT_MACHINE, Machine } from "../../core/machine/index.ts";
import { type CostProfile, loadProfile, overrideProfile } from "../../core/profile.ts";
import { Rng } from "../../core/rng.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import { COUNTERFACTUAL_STRATEGIES } from "../../strategies/counterfactual/index.ts";
import { BUILTIN_STRATEGIES, resolveStrategyOptions } from "../../strategies/registry.ts";
import type { WorkloadModule } from "../../workloads/api.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../../workloads/registry.ts";
import { canonicalJson } from "../provenance.ts";
import {
  CLAIM_WORKLOADS,
  type Claim,
  type ClaimCell,
  type ClaimDecision,
  type ClaimResults,
  LSFMM_CLAIMS,
  VERDICTS,
  type Verdict,
} from "./claims.ts";

/**
 * Strategies a claim may name: the built-ins and the counterfactuals (set-memory-ro,
 * page-address; strategies/counterfactual/).
 */
export const CLAIM_STRATEGIES: Readonly<Record<string, StrategyModule>> = {
  ...BUILTIN_STRATEGIES,
  ...COUNTERFACTUAL_STRATEGIES,
};

/**
 * Small streams so that the robustness sweep (dozens of profile variants) stays within a
 * minute or two: each workload's own size parameter, reduced; everything else default.
 */
export const CLAIM_WORKLOAD_PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  "pmem-dax": { requests: 60 },
  "pagetable-protect": { ops: 12 },
  "btrfs-metadata": { searches: 10 },
  "btrfs-debug-ro": { searches: 10 },
  "pagecache-io": { requests: 30 },
  "long-term-map": { records: 64 },
  "cross-cpu-handoff": { items: 60 },
  "preempt-migrate": { sections: 15 },
  "xpfo-churn": { allocations: 40 },
  "vmap-churn": { loops: 50 },
};

export interface ClaimsConfig {
  readonly profile: CostProfile;
  readonly cpus: number;
  readonly seeds: readonly number[];
}

export const DEFAULT_CLAIMS_CPUS = 4;

export function defaultClaimsConfig(profile: CostProfile = loadProfile()): ClaimsConfig {
  return { profile, cpus: DEFAULT_CLAIMS_CPUS, seeds: [1] };
}

/** The workloads and strategies a set of claims reads. */
export function claimNeeds(claims: readonly Claim[]): {
  workloads: string[];
  strategies: string[];
} {
  const workloads = new Set<string>();
  const strategies = new Set<string>();
  for (const claim of claims) {
    for (const w of claim.workloads === "all" ? CLAIM_WORKLOADS : claim.workloads) workloads.add(w);
    for (const s of claim.strategies) strategies.add(s);
  }
  const order = (list: readonly string[], set: Set<string>) => [
    ...list.filter((x) => set.has(x)),
    ...[...set].filter((x) => !list.includes(x)).sort(),
  ];
  return {
    workloads: order(CLAIM_WORKLOADS, workloads),
    strategies: order(Object.keys(CLAIM_STRATEGIES), strategies),
  };
}

function workloadModule(name: string): WorkloadModule {
  const module = (BUILTIN_WORKLOADS as Record<string, WorkloadModule>)[name];
  if (!module) throw new Error(`claims: unknown workload ${name}`);
  return module;
}

function strategyModule(name: string): StrategyModule {
  const module = CLAIM_STRATEGIES[name];
  if (!module) throw new Error(`claims: unknown strategy ${name}`);
  return module;
}

/** The comparison plan of a set of claims (one shared run of every cell they read). */
export function claimsPlan(claims: readonly Claim[], config: ClaimsConfig): ComparisonPlan {
  const needs = claimNeeds(claims);
  return {
    strategies: needs.strategies.map((name) => {
      const module = strategyModule(name);
      return { module, options: resolveStrategyOptions(module) };
    }),
    workloads: needs.workloads.map((name) => {
      const module = workloadModule(name);
      return { module, params: resolveWorkloadParams(module, CLAIM_WORKLOAD_PARAMS[name] ?? {}) };
    }),
    seeds: config.seeds,
    machine: { ...DEFAULT_MACHINE, cpus: config.cpus },
    profile: config.profile,
    strayEvery: 20,
  };
}

/** The (workload, strategy) pairs the claims read: only those cells are run. */
export function claimCells(claims: readonly Claim[]): Map<string, Set<string>> {
  const pairs = new Map<string, Set<string>>();
  for (const claim of claims) {
    for (const w of claim.workloads === "all" ? CLAIM_WORKLOADS : claim.workloads) {
      const set = pairs.get(w) ?? new Set<string>();
      for (const s of claim.strategies) set.add(s);
      pairs.set(w, set);
    }
  }
  return pairs;
}

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
function setupShootdowns(plan: ComparisonPlan, workload: string, strategy: string): number {
  const planned = plan.workloads.find((w) => w.module.name === workload);
  const chosen = plan.strategies.find((s) => s.module.name === strategy);
  if (!planned || !chosen) return 0;
  const machine = new Machine(plan.machine, plan.profile);
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

/** Wraps a comparison's cells for the claims' predicates. */
export function claimResults(plan: ComparisonPlan, cells: readonly CellResult[]): ClaimResults {
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
        value = setupShootdowns(plan, workload, strategy);
        setups.set(key, value);
      }
      return value;
    },
  };
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

/** One variant of the robustness sweep: profile values and strategy cost values changed. */
export interface ProfileVariant {
  readonly label: string;
  /** Profile parameter values changed from the profile. */
  readonly changes: Readonly<Record<string, number>>;
  /** Strategy cost parameters changed, by strategy name (costs a strategy declares itself). */
  readonly strategyCosts?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Parameters that change no charged cycle (unit conversion only) are not swept. */
const NOT_SWEPT = new Set(["clock_ghz"]);

const sweepable = (p: { confidence: string; range?: readonly [number, number] }) =>
  (p.confidence === "unverified" || p.confidence === "derived") && p.range !== undefined;

/** Parameters the sweep varies: unverified or derived, with a documented range. */
export function sweptParameters(profile: CostProfile): string[] {
  return Object.entries(profile.parameters)
    .filter(([name, p]) => sweepable(p) && !NOT_SWEPT.has(name))
    .map(([name]) => name);
}

/** Strategy-declared cost parameters the sweep varies, as "strategy.cost". */
export function sweptStrategyCosts(strategies: readonly StrategyModule[]): string[] {
  return strategies.flatMap((module) =>
    Object.entries(module.costs)
      .filter(([, cost]) => sweepable(cost))
      .map(([name]) => `${module.name}.${name}`),
  );
}

/**
 * One at a time to each end of the range (profile parameters, then the cost parameters the
 * given strategies declare), then all low and all high together.
 */
export function sweepVariants(
  profile: CostProfile,
  strategies: readonly StrategyModule[] = [],
): ProfileVariant[] {
  const names = sweptParameters(profile);
  const variants: ProfileVariant[] = [];
  for (const name of names) {
    const [low, high] = profile.parameters[name].range!;
    const value = profile.parameters[name].value;
    if (low !== value) variants.push({ label: `${name}=${low}`, changes: { [name]: low } });
    if (high !== value) variants.push({ label: `${name}=${high}`, changes: { [name]: high } });
  }
  const costs = strategies.flatMap((module) =>
    Object.entries(module.costs)
      .filter(([, cost]) => sweepable(cost))
      .map(([name, cost]) => ({ strategy: module.name, name, cost })),
  );
  for (const { strategy, name, cost } of costs) {
    for (const end of cost.range!) {
      if (end === cost.value) continue;
      variants.push({
        label: `${strategy}.${name}=${end}`,
        changes: {},
        strategyCosts: { [strategy]: { [name]: end } },
      });
    }
  }
  const corner = (end: 0 | 1): ProfileVariant => {
    const strategyCosts: Record<string, Record<string, number>> = {};
    for (const { strategy, name, cost } of costs) {
      strategyCosts[strategy] = { ...strategyCosts[strategy], [name]: cost.range![end] };
    }
    return {
      label: `all ${end === 0 ? "low" : "high"} (joint corner)`,
      changes: Object.fromEntries(
        names.map((name) => [name, profile.parameters[name].range![end]]),
      ),
      ...(costs.length > 0 ? { strategyCosts } : {}),
    };
  };
  variants.push(corner(0), corner(1));
  return variants;
}

/** A strategy module with some of its declared cost values replaced. */
export function withStrategyCosts(
  module: StrategyModule,
  values: Readonly<Record<string, number>> | undefined,
): StrategyModule {
  if (!values || Object.keys(values).length === 0) return module;
  const costs = { ...module.costs };
  for (const [name, value] of Object.entries(values)) {
    costs[name] = { ...costs[name], value, confidence: "unverified" };
  }
  return { ...module, costs };
}

/** Applies a variant to a plan: profile overrides and strategy cost overrides. */
export function applyVariant(plan: ComparisonPlan, variant: ProfileVariant): ComparisonPlan {
  return {
    ...plan,
    profile: overrideProfile(plan.profile, variant.changes),
    strategies: plan.strategies.map((s) => ({
      ...s,
      module: withStrategyCosts(s.module, variant.strategyCosts?.[s.module.name]),
    })),
  };
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

export interface ClaimOutcome {
  readonly id: string;
  readonly quote: string;
  readonly speaker: string;
  readonly source: string;
  readonly predicate: string;
  /** The setup the discussion assumed, as the claim states it. */
  readonly setup?: string;
  readonly verdict: Verdict;
  readonly evidence: readonly string[];
  /** Present when the robustness sweep ran. */
  readonly robustness?: {
    readonly robust: boolean;
    readonly variants: number;
    /** Variants under which the verdict differs, with the verdict there. */
    readonly flips: readonly Flip[];
  };
  /** The verdict on other machine sizes (same profile), when the robustness sweep ran. */
  readonly atCpus?: readonly { cpus: number; verdict: Verdict; evidence: readonly string[] }[];
}

export interface ClaimsReport {
  readonly profile: string;
  /** sha256 (12 hex digits) of the cost profile's parameters as run. */
  readonly profileHash: string;
  readonly cpus: number;
  readonly seeds: readonly number[];
  readonly workloadParams: Readonly<Record<string, Record<string, unknown>>>;
  readonly sweptParameters: readonly string[];
  readonly claims: readonly ClaimOutcome[];
}

export interface EvaluateOptions {
  readonly claims?: readonly Claim[];
  readonly config?: ClaimsConfig;
  /** Run the robustness sweep (default true). */
  readonly robustness?: boolean;
  readonly onVariant?: (done: number, total: number, label: string) => void;
  /** Other machine sizes to decide the claims on, with the robustness sweep (default [16]). */
  readonly alsoCpus?: readonly number[];
}

/** The CPU counts the claims are also decided on (the default comparison runs 16 CPUs). */
export const DEFAULT_ALSO_CPUS: readonly number[] = [16];

/** Bisection steps when locating the value at which a one-parameter variant flips a verdict. */
const THRESHOLD_STEPS = 5;

/**
 * Where between the profile value and the variant's value the verdict of `claim` changes
 * (bisection on that claim's cells only). Undefined for joint corners.
 */
function threshold(
  claim: Claim,
  config: ClaimsConfig,
  variant: ProfileVariant,
  baseVerdict: Verdict,
): Pick<Flip, "parameter" | "threshold" | "direction"> {
  const profileNames = Object.keys(variant.changes);
  const strategyEntries = Object.entries(variant.strategyCosts ?? {}).flatMap(([strategy, costs]) =>
    Object.entries(costs).map(([name, value]) => ({ strategy, name, value })),
  );
  if (profileNames.length + strategyEntries.length !== 1) return {};
  const base = claimsPlan([claim], config);
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
    const module = base.strategies.find((s) => s.module.name === strategy)?.module;
    if (!module) return {};
    parameter = `${strategy}.${name}`;
    from = module.costs[name].value;
    to = value;
    at = (v) => ({ label: "", changes: {}, strategyCosts: { [strategy]: { [name]: v } } });
  }
  const integer = Number.isInteger(from) && Number.isInteger(to);
  const verdictAt = (value: number) => {
    const plan = applyVariant(base, at(value));
    return decideAll([claim], claimResults(plan, runClaimCells([claim], plan)))[0].verdict;
  };
  let same = from;
  let flipped = to;
  for (let step = 0; step < THRESHOLD_STEPS; step++) {
    let mid = (same + flipped) / 2;
    if (integer) mid = Math.round(mid);
    if (mid === same || mid === flipped) break;
    if (verdictAt(mid) === baseVerdict) same = mid;
    else flipped = mid;
  }
  return { parameter, threshold: flipped, direction: to > from ? "above" : "below" };
}

/** Runs the claims' shared comparison, decides each claim and (by default) its robustness. */
export function evaluateClaims(options: EvaluateOptions = {}): ClaimsReport {
  const claims = options.claims ?? LSFMM_CLAIMS;
  const config = options.config ?? defaultClaimsConfig();
  const run = (variant?: ProfileVariant, cpus = config.cpus) => {
    const base = claimsPlan(claims, { ...config, cpus });
    const plan = variant ? applyVariant(base, variant) : base;
    return decideAll(claims, claimResults(plan, runClaimCells(claims, plan)));
  };
  const base = run();
  // The machine size is not a cost parameter: verdicts at other CPU counts are reported
  // beside the robustness result, not folded into it.
  const otherCpus =
    options.robustness === false
      ? []
      : (options.alsoCpus ?? DEFAULT_ALSO_CPUS).filter((n) => n !== config.cpus);
  const atCpus = otherCpus.map((cpus) => ({ cpus, decisions: run(undefined, cpus) }));
  const modules = claimsPlan(claims, config).strategies.map((s) => s.module);
  const swept =
    options.robustness === false
      ? []
      : [...sweptParameters(config.profile), ...sweptStrategyCosts(modules)];
  const variants = options.robustness === false ? [] : sweepVariants(config.profile, modules);
  const flips: Flip[][] = claims.map(() => []);
  variants.forEach((variant, index) => {
    const decisions = run(variant);
    decisions.forEach((decision, i) => {
      if (decision.verdict !== base[i].verdict) {
        flips[i].push({
          label: variant.label,
          verdict: decision.verdict,
          evidence: decision.evidence,
          ...threshold(claims[i], config, variant, base[i].verdict),
        });
      }
    });
    options.onVariant?.(index + 1, variants.length, variant.label);
  });
  return {
    profile: config.profile.name,
    profileHash: createHash("sha256")
      .update(canonicalJson(config.profile.parameters))
      .digest("hex")
      .slice(0, 12),
    cpus: config.cpus,
    seeds: config.seeds,
    workloadParams: Object.fromEntries(
      claimNeeds(claims).workloads.map((w) => [w, CLAIM_WORKLOAD_PARAMS[w] ?? {}]),
    ),
    sweptParameters: swept,
    claims: claims.map((claim, i) => ({
      id: claim.id,
      quote: claim.quote,
      speaker: claim.speaker,
      source: claim.source,
      predicate: claim.predicate,
      ...(claim.setup !== undefined ? { setup: claim.setup } : {}),
      verdict: base[i].verdict,
      evidence: base[i].evidence,
      ...(options.robustness === false
        ? {}
        : {
            robustness: {
              robust: flips[i].length === 0,
              variants: variants.length,
              flips: flips[i],
            },
            atCpus: atCpus.map(({ cpus, decisions }) => ({
              cpus,
              verdict: decisions[i].verdict,
              evidence: decisions[i].evidence,
            })),
          }),
    })),
  };
}
