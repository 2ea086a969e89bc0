/**
 * What a run is given and what it returns: the run spec, the result, and the records a
 * result carries (stray outcomes, caught modifications, per-stray records).
 *
 * @packageDocumentation
 */
import type { OptionValues } from "../contract/options.ts";
import type { StrategyModule } from "../contract/strategy.ts";
import type { StrayClass, WorkloadModule } from "../contract/workload.ts";
import type { MachineConfig } from "../machine/index.ts";
import type { CostProfile } from "../profile.ts";
import type { RunStatus, ServedCounts } from "./status.ts";

/** Everything that defines one simulated run (one cell of a comparison, one seed). */
export interface RunSpec {
  readonly machine: MachineConfig;
  readonly profile: CostProfile;
  readonly strategy: StrategyModule;
  /**
   * The strategy's option values as given (already resolved, or partial): the engine
   * resolves them against the strategy's specs before `create`, so the strategy receives
   * every option parsed and typed (core/contract/strategy.ts resolveStrategyOptions).
   */
  readonly strategyOptions: OptionValues;
  readonly workload: WorkloadModule;
  readonly workloadParams: OptionValues;
  readonly seed: number;
  /**
   * Mean stream operations between injected stray accesses when the workload does not say;
   * 0 disables injection. A workload's `stray_every` parameter (issue 4: rate and mix are
   * workload parameters) takes precedence; without either, DEFAULT_STRAY_EVERY. The mix
   * comes from the workload's `stray_mix` parameter (default: every class).
   */
  readonly strayEvery?: number;
  /** Keep up to this many per-stray records in `RunResult.strays` (tests, debugging). */
  readonly recordStrays?: number;
  /** Upper bound on operations executed, so a runaway plugin cannot hang a report. */
  readonly operationBudget?: number;
  /**
   * Check the model's invariants during and after the run (on in tests, `--check` in the
   * CLI): protection back after every unmap, no false fault in a supported scope, one
   * outcome per stray, PKRS consistent with thread state at switches, ledger consistency.
   */
  readonly checkInvariants?: boolean;
}

/** Default bound on workload operations per run. */
export const DEFAULT_OPERATION_BUDGET = 5_000_000;
/** Model charges an operation may make on average before the run stops (a looping plugin). */
export const CHARGES_PER_OPERATION = 100;

/** Outcome counts of one stray-access class. */
export interface StrayOutcome {
  injected: number;
  blocked: number;
  corrupted: number;
  redirected: number;
  /** Raised a fault (blocked, or let through after the fault by a relaxed mode). */
  faulted: number;
}

/** Raw metrics of one run, by metric name (see reports' metric catalog). */
export type RunMetrics = Record<string, number>;

/**
 * Caught illegal modifications (stray writes that faulted), aggregated by the CPU that made
 * them, the stray class (what made the write) and the workload operation that CPU was in
 * (`during`: the kind of the last stream operation it executed). The btrfs-debug-ro answer
 * to "who modified this page".
 */
export interface CaughtModification {
  readonly cpu: number;
  readonly stray: StrayClass;
  readonly during: string;
  count: number;
  /** Simulated time of the first one. */
  readonly firstTime: number;
}

/** One injected stray access, when `RunSpec.recordStrays` asks for them. */
export interface StrayRecord {
  readonly cls: StrayClass;
  readonly cpu: number;
  readonly time: number;
  readonly write: boolean;
  readonly outcome: "blocked" | "corrupted" | "redirected";
  /** The access raised a fault (even if a relaxed fault mode then let it through). */
  readonly faulted: boolean;
  /** The stray CPU's running thread held a live mapping at the time. */
  readonly windowOpen: boolean;
  /** For strays through an unmapped address: vmap purges since that unmap. */
  readonly purgesSinceUnmap?: number;
  /** The CPU's TLB held a stale translation for the address when the stray was made. */
  readonly throughStaleEntry: boolean;
}

/** Result of one run. */
export interface RunResult {
  readonly status: RunStatus;
  readonly reason?: string;
  readonly metrics: RunMetrics;
  /** What the strategy served of the workload's work. */
  readonly served: ServedCounts;
  /** Caught illegal modifications by CPU, class and operation (empty when none). */
  readonly catches?: readonly CaughtModification[];
  /**
   * Invariant violations, when `RunSpec.checkInvariants` is on (empty when all hold); the
   * ledger's consistency is checked on every run, so its violations appear even when off.
   */
  readonly violations?: readonly string[];
  /** Per-stray records, when `RunSpec.recordStrays` > 0. */
  readonly strays?: readonly StrayRecord[];
}
