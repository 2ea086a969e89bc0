/**
 * Model probes used by the validation cases: each runs the shared machine model in the
 * shape of one published experiment and returns the quantity the publication reports.
 * Everything is deterministic (fixed seed, strays off: they do not charge costs anyway).
 */
import { type RunMetrics, runSimulation } from "../../../core/engine/index.ts";
import { DEFAULT_MACHINE, Machine, type MachineConfig } from "../../../core/machine/index.ts";
import type { CostProfile } from "../../../core/profile.ts";
import type { OptionValues } from "../../../strategies/api.ts";
import { BUILTIN_STRATEGIES, resolveStrategyOptions } from "../../../strategies/registry.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../../../workloads/registry.ts";

/** The seed every validation run uses. */
export const VALIDATION_SEED = 1;

/** One model run: a built-in workload and strategy on `cpus` CPUs. */
export interface ProbeRun {
  readonly cpus: number;
  readonly workload: keyof typeof BUILTIN_WORKLOADS;
  readonly params: Readonly<Record<string, unknown>>;
  readonly strategy: keyof typeof BUILTIN_STRATEGIES;
  readonly options?: Readonly<Record<string, unknown>>;
  /** Machine fields other than the CPU count (flush, broadcast, ...). */
  readonly machine?: Partial<MachineConfig>;
}

/** Runs memoized per profile object, so that cases sharing a run (a baseline) pay once. */
const cache = new WeakMap<CostProfile, Map<string, RunMetrics>>();

/** The keys of the runs asked for while {@link recordProbes} runs its action. */
let asked: Set<string> | undefined;

/**
 * The distinct model runs `action` asks for (memoized or not), by key: what a case shares
 * with another (test/validate checks that cases sharing a run share a run group).
 */
export function recordProbes(action: () => void): Set<string> {
  const outer = asked;
  asked = new Set();
  try {
    action();
    return asked;
  } finally {
    asked = outer;
  }
}

export function probe(profile: CostProfile, run: ProbeRun): RunMetrics {
  let runs = cache.get(profile);
  if (!runs) {
    runs = new Map();
    cache.set(profile, runs);
  }
  const key = JSON.stringify(run);
  asked?.add(key);
  const known = runs.get(key);
  if (known) return known;
  const workload = BUILTIN_WORKLOADS[run.workload];
  const strategy = BUILTIN_STRATEGIES[run.strategy];
  const strategyOptions: OptionValues = resolveStrategyOptions(strategy, run.options ?? {});
  const result = runSimulation({
    machine: { ...DEFAULT_MACHINE, ...run.machine, cpus: run.cpus },
    profile,
    strategy,
    strategyOptions,
    workload,
    workloadParams: resolveWorkloadParams(workload, { stray_every: 0, ...run.params }),
    seed: VALIDATION_SEED,
  });
  if (result.status !== "ok") {
    throw new Error(
      `validation run ${key} did not complete: ${result.status} ${result.reason ?? ""}`,
    );
  }
  runs.set(key, result.metrics);
  return result.metrics;
}

/** Kernel (system) time of a run: every steady-state cycle charged on every CPU (setup is apart). */
export function systemCycles(metrics: RunMetrics): number {
  return metrics["cost.total_cycles"];
}

/**
 * Wall-clock cycles per operation per thread, as a loop timed inside one thread measures
 * it: the difference between a run of `loops` and one of `2 × loops` iterations, so that
 * setup and warm-up cancel out.
 */
export function latencyCyclesPerOp(
  profile: CostProfile,
  run: ProbeRun,
  loopParam: string,
  loops: number,
  threads: number,
): number {
  const short = probe(profile, { ...run, params: { ...run.params, [loopParam]: loops } });
  const long = probe(profile, { ...run, params: { ...run.params, [loopParam]: 2 * loops } });
  const cycles = long["run.simulated_cycles"] - short["run.simulated_cycles"];
  const operations = long["run.operations"] - short["run.operations"];
  return (cycles * threads) / operations;
}

/**
 * Cycles the initiating CPU spends in one flush_tlb_kernel_range() of `pages` pages on a
 * one-CPU machine (no remote CPU to interrupt): the model's primitive for a flush of an mm
 * live only on the local CPU. `pages` above the ceiling is a full flush.
 */
export function rangeFlushCycles(profile: CostProfile, pages: number): number {
  const machine = new Machine({ ...DEFAULT_MACHINE, cpus: 1 }, profile);
  const before = machine.ledger.totalCycles();
  machine.flushTlbKernelRange(0, 4096, pages);
  return machine.ledger.totalCycles() - before;
}
