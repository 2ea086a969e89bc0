/**
 * Runs each distinct cell once. A cell's result is a function of its fully resolved spec
 * (workload and parameters, strategy with options and cost values, machine, profile, seeds,
 * strays, budget, checker): the model is deterministic and a cell draws its random numbers
 * from its own seeds, so two cells with the same canonical spec give the same numbers
 * (test/claims/run-cache.test.ts checks this bit for bit against fresh runs). The claims'
 * base decision, its other machine sizes, the robustness variants and the bisections, and
 * the sensitivity variants, share one cache: a variant that changes a strategy's cost
 * leaves every other strategy's cells as they were and is not run again for them.
 */
import type {
  CellResult,
  ComparisonPlan,
  PlannedStrategy,
  PlannedWorkload,
} from "../../../core/compare.ts";
import type { CostProfile } from "../../../core/profile.ts";
import type { StrategyModule } from "../../../strategies/api.ts";
import type { WorkloadModule } from "../../../workloads/api.ts";
import { BUILTIN_WORKLOADS } from "../../../workloads/registry.ts";
import { canonicalJson } from "../../results/provenance.ts";
import { autoJobs, runTasks, type SharedTask } from "../../run/pool.ts";
import { taskModule } from "../../run/tasks.ts";
import { runTracedSpec } from "./claims-trace-run.ts";
import { type CellSpec, CLAIM_STRATEGIES, runCellSpec, runSettingsOf } from "./plan.ts";
import { changedParameters, traceParameters } from "./trace.ts";

/** One cell to run: its workload and strategy as planned, and the run's setting. */
export type CellRequest = Pick<
  ComparisonPlan,
  "machine" | "profile" | "seeds" | "strayEvery" | "operationBudget" | "checkInvariants"
> & { readonly workload: PlannedWorkload; readonly strategy: PlannedStrategy };

/** The worker-side module of a cell run (claims-run.ts). */
const CLAIMS_RUN = taskModule(import.meta.url, "claims-run");
/** The worker-side module of a traced cell run (claims-trace-run.ts). */
const CLAIMS_TRACE_RUN = taskModule(import.meta.url, "claims-trace-run");

/** Whether a workload module is the built-in one of its name (so a worker can rebuild it). */
function builtInWorkload(module: WorkloadModule): boolean {
  return (BUILTIN_WORKLOADS as Record<string, WorkloadModule>)[module.name] === module;
}

/** Whether a strategy is a built-in one, up to its cost values (withStrategyCosts). */
export function builtInStrategy(module: StrategyModule): boolean {
  const base = CLAIM_STRATEGIES[module.name];
  if (!base) return false;
  const keys = new Set([...Object.keys(base), ...Object.keys(module)]);
  for (const key of keys) {
    if (key === "costs") continue;
    if (base[key as keyof StrategyModule] !== module[key as keyof StrategyModule]) return false;
  }
  return true;
}

/**
 * The requests of a plan's cells, workload-major in plan order (runComparison's order),
 * only the (workload, strategy) pairs `wanted` keeps when given.
 */
export function planRequests(
  plan: ComparisonPlan,
  wanted: (workload: string, strategy: string) => boolean = () => true,
): CellRequest[] {
  return plan.workloads.flatMap((workload) =>
    plan.strategies
      .filter((strategy) => wanted(workload.module.name, strategy.module.name))
      .map((strategy) => ({
        workload,
        strategy,
        ...runSettingsOf(plan),
      })),
  );
}

/** The plain-data spec of a request (what the key is made of and a worker runs). */
export function specOf(request: CellRequest): CellSpec {
  return {
    workload: request.workload.module.name,
    params: request.workload.params,
    strategy: request.strategy.module.name,
    options: request.strategy.options,
    costs: request.strategy.module.costs,
    ...runSettingsOf(request),
  };
}

/** A base cell with the profile parameters its run used (trace.ts). */
interface Trace {
  readonly profile: CostProfile;
  readonly used: ReadonlySet<string>;
  readonly cell: CellResult;
}

/** What a cache did: cells asked for, run, and shared from a traced base (proved equal). */
export interface CacheCounts {
  readonly requested: number;
  readonly ran: number;
  readonly shared: number;
}

/** One stderr line: how the cells were obtained (each method named). */
export function cacheLine(what: string, counts: CacheCounts): string {
  const reused = counts.requested - counts.ran - counts.shared;
  return `${what}: ${counts.requested} cells asked for: ${counts.ran} run, ${counts.shared} shared with a base cell that never used the changed parameters (traced), ${reused} identical to a cell already run (content-keyed cache)\n`;
}

/**
 * Whether a traced computation's result holds under `profile`: it differs from the traced
 * one in parameter values only, and only in parameters the computation never used.
 */
function unaffected(
  traced: { readonly profile: CostProfile; readonly used: ReadonlySet<string> },
  profile: CostProfile,
): boolean {
  const changed = changedParameters(traced.profile, profile);
  return changed?.every((name) => !traced.used.has(name)) === true;
}

/** A content-keyed cache of cell results, with counts of what was asked and what ran. */
export class RunCache {
  readonly #cells = new Map<string, CellResult>();
  readonly #traces = new Map<string, Trace>();
  readonly #profileKeys = new WeakMap<CostProfile, string>();
  #requested = 0;
  #ran = 0;
  #shared = 0;

  readonly #setupValues = new Map<
    string,
    { readonly profile: CostProfile; readonly used: ReadonlySet<string>; readonly value: number }
  >();

  get counts(): CacheCounts {
    return { requested: this.#requested, ran: this.#ran, shared: this.#shared };
  }

  /** The key of a request without its profile, and with it. */
  #keys(request: CellRequest): { rest: string; full: string } {
    const { profile, ...rest } = specOf(request);
    let profileKey = this.#profileKeys.get(profile);
    if (profileKey === undefined) {
      profileKey = canonicalJson(profile);
      this.#profileKeys.set(profile, profileKey);
    }
    const restKey = canonicalJson(rest);
    return { rest: restKey, full: `${restKey}|${profileKey}` };
  }

  /** The traced base cell that a request's result provably equals, if any. */
  sharedCell(request: CellRequest): CellResult | undefined {
    const trace = this.#traces.get(this.#keys(request).rest);
    return trace && unaffected(trace, request.profile) ? trace.cell : undefined;
  }

  /**
   * `compute(profile)`, a number that built-in strategy code works out from a profile
   * (claims' setup shootdowns), under `key` (what else it depends on). The first profile
   * of a key computes it traced; a later one that moves only parameters that computation
   * never used gets the same number, by the argument of sharedCell; any other computes
   * afresh.
   */
  profileValue(
    key: string,
    profile: CostProfile,
    compute: (profile: CostProfile) => number,
  ): number {
    const known = this.#setupValues.get(key);
    if (known) return unaffected(known, profile) ? known.value : compute(profile);
    const { result, used } = traceParameters(profile, compute);
    this.#setupValues.set(key, { profile, used, value: result });
    return result;
  }

  /**
   * The cells of the requests, in order: each distinct spec not yet cached runs once, on
   * `threads` threads (built-in cells through the runner's module tasks; a plugin's cells
   * in this thread, as the sensitivity analysis always ran them), unless it provably equals
   * a traced base cell. With `trace`, the built-in cells run traced in this thread and
   * become the base cells of later requests that differ from them in profile values only.
   */
  async cells(
    requests: readonly CellRequest[],
    threads: number | undefined,
    options: { trace?: boolean; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<CellResult[]> {
    this.#requested += requests.length;
    const keys = requests.map((request) => this.#keys(request));
    const missing = new Map<string, CellRequest>();
    keys.forEach(({ full }, index) => {
      if (this.#cells.has(full) || missing.has(full)) return;
      const shared = this.sharedCell(requests[index]);
      if (shared) {
        this.#cells.set(full, shared);
        this.#shared++;
      } else missing.set(full, requests[index]);
    });
    const pending = [...missing.entries()];
    const builtIn = (r: CellRequest) =>
      builtInWorkload(r.workload.module) && builtInStrategy(r.strategy.module);
    const shared = pending.filter(([, r]) => builtIn(r) && !options.trace);
    const local = pending.filter(([, r]) => !builtIn(r));
    const traced = pending.filter(([, r]) => builtIn(r) && options.trace);
    const results = await runSpecs(
      shared.map(([, request]) => request),
      CLAIMS_RUN,
      runCellSpec,
      threads,
      options.onProgress,
    );
    shared.forEach(([key], index) => {
      this.#cells.set(key, results[index]);
    });
    for (const [key, request] of local) this.#cells.set(key, runRequestHere(request));
    // Traced cells through the runner as well: each thread traces its own run (trace.ts
    // patches only the ledger of the thread it runs in).
    const tracedResults = await runSpecs(
      traced.map(([, request]) => request),
      CLAIMS_TRACE_RUN,
      runTracedSpec,
      threads,
    );
    traced.forEach(([key, request], index) => {
      const { cell, used } = tracedResults[index];
      this.#cells.set(key, cell);
      this.#traces.set(this.#keys(request).rest, {
        profile: request.profile,
        used: new Set(used),
        cell,
      });
    });
    this.#ran += pending.length;
    return keys.map(({ full }) => {
      const cell = this.#cells.get(full);
      if (!cell) throw new Error("run cache: a requested cell was not run");
      return cell;
    });
  }
}

/**
 * The requests' specs as runner tasks of `module` (`run` computes the same in this thread),
 * on `threads` threads, or as many as their seed runs call for.
 */
function runSpecs<R>(
  requests: readonly CellRequest[],
  module: string,
  run: (spec: CellSpec) => R,
  threads: number | undefined,
  onProgress?: (done: number, total: number) => void,
): Promise<R[]> {
  const tasks = requests.map((request): SharedTask<R> => {
    const input = specOf(request);
    return { task: { kind: "module", module, input }, here: () => run(input) };
  });
  const seedRuns = requests.reduce((sum, request) => sum + request.seeds.length, 0);
  return runTasks(tasks, {
    jobs: threads ?? autoJobs(seedRuns),
    ...(onProgress ? { onDone: (done: number, total: number) => onProgress(done, total) } : {}),
  });
}

/** A cell of plugin code, run as runComparison runs it. */
function runRequestHere(request: CellRequest): CellResult {
  return runCellSpec(specOf(request), request.workload.module, request.strategy.module);
}
