/**
 * One replay cell (a strategy under a mapping granularity, over the whole trace) as a
 * runner task (reports/run): the default export is what a worker thread calls; runReplay
 * calls replayCell in this thread, so a cell does not depend on where it ran.
 */

import type { RunStatus } from "../../../core/engine/index.ts";
import { runSimulation } from "../../../core/engine/index.ts";
import { DEFAULT_MACHINE } from "../../../core/machine/index.ts";
import type { CostProfile } from "../../../core/profile.ts";
import type { StrategyModule } from "../../../strategies/api.ts";
import { resolveOptions } from "../../../strategies/options.ts";
import { builtinStrategiesByName } from "../../../strategies/registry.ts";
import type { WorkloadModule } from "../../../workloads/api.ts";
import type { TraceData } from "../../../workloads/trace/data.ts";
import {
  REPLAY_PARAMS,
  type ReplayMapping,
  traceWorkload,
} from "../../../workloads/trace/replay.ts";

/** Metrics the replay report shows, per call. */
export const REPLAY_METRICS = [
  { metric: "cost.cycles_per_op", label: "cycles/call" },
  { metric: "events.pkrs_writes", label: "PKRS wr/call", perOp: true },
  { metric: "events.tlb_misses", label: "TLB miss/call", perOp: true },
  { metric: "events.shootdowns", label: "shootdowns" },
  { metric: "events.direct_map_splits", label: "splits" },
  { metric: "compat.unsupported_maps", label: "unsupp. maps" },
  { metric: "compat.false_faults", label: "false faults" },
  { metric: "exposure.page_cycles", label: "exposure" },
] as const;

export interface ReplayCell {
  readonly mapping: ReplayMapping;
  readonly strategy: string;
  readonly status: RunStatus;
  readonly reason?: string;
  /** Raw metrics of the run (totals) plus `per_op.<metric>` for the counted events. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
}

/** What a replay cell task carries (plain data; the trace's columns are typed arrays). */
export interface ReplayCellInput {
  readonly trace: TraceData;
  readonly mapping: ReplayMapping;
  /** A built-in strategy, by name. */
  readonly strategy: string;
  readonly cpus: number;
  readonly seed: number;
  /** Workload parameters other than `mapping`. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly profile: CostProfile;
  readonly checkInvariants: boolean;
}

/** Runs one cell: `strategy` (the module named in `input`) replaying `workload` (the trace). */
export function replayCell(
  input: ReplayCellInput,
  strategy: StrategyModule,
  workload: WorkloadModule,
): ReplayCell {
  const { mapping } = input;
  const params = resolveOptions("workload", workload.name, REPLAY_PARAMS, {
    ...input.params,
    mapping,
  });
  const started = performance.now();
  try {
    const result = runSimulation({
      machine: { ...DEFAULT_MACHINE, cpus: input.cpus },
      profile: input.profile,
      strategy,
      strategyOptions: resolveOptions("strategy", strategy.name, strategy.options, {}),
      workload,
      workloadParams: params,
      seed: input.seed,
      operationBudget: Number.MAX_SAFE_INTEGER,
      checkInvariants: input.checkInvariants,
    });
    const metrics: Record<string, number> = { ...result.metrics };
    const ops = metrics["run.operations"] ?? 0;
    for (const { metric } of REPLAY_METRICS) {
      if (metric in metrics && ops > 0) metrics[`per_op.${metric}`] = metrics[metric] / ops;
    }
    const violation = result.violations?.[0];
    return {
      mapping,
      strategy: strategy.name,
      status: violation ? "failed" : result.status,
      reason: violation ? `invariant violated: ${violation}` : result.reason,
      metrics,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    return {
      mapping,
      strategy: strategy.name,
      status: "failed",
      reason: (error as Error).message,
      metrics: {},
      elapsedMs: performance.now() - started,
    };
  }
}

/** The trace's workload, built once per trace a worker is handed (by its source). */
let built: { readonly source: string; readonly workload: WorkloadModule } | undefined;

/** A replay cell in a worker thread: the built-in strategy by name. */
export default function runReplayCell(input: ReplayCellInput): ReplayCell {
  const strategy = builtinStrategiesByName()[input.strategy];
  if (!strategy) throw new Error(`replay: unknown built-in strategy ${input.strategy}`);
  if (built?.source !== input.trace.source) {
    built = { source: input.trace.source, workload: traceWorkload(input.trace) };
  }
  return replayCell(input, strategy, built.workload);
}
